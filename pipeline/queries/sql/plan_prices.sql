-- grain: one row per (plan, region) offered now ($ts null) or as of $ts, optionally one region / plan
-- (bound by name: ts, region_id, plan_id); by region, cheapest first
with current_prices as (
    select * from plan_prices where cast($ts as timestamptz) is null
),
past_prices as (
    -- plan_prices_at(null) is empty, so exactly one of the two branches has rows
    select * from plan_prices_at(cast($ts as timestamptz))
),
final as (
    select * from current_prices
    union all by name
    select * from past_prices
)
select * from final
where (cast($region_id as varchar) is null or region_id = $region_id)
  and (cast($plan_id as varchar) is null or plan_id = $plan_id)
order by region_id, monthly_cost_usd, plan_id
