-- grain: one row per version of every plan (plans_history) with its base prices, by plan, oldest first; a
-- version that changed other fields only repeats its prices (pipeline.site merges those for its charts)
with final as (
    select plan_id, valid_from, valid_to, monthly_cost_usd, hourly_cost_usd
    from plans_history
)
select * from final
order by plan_id, valid_from
