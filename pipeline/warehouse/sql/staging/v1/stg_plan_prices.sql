-- grain: one row per (plan, region) with a regional price override: v1 has none (always empty)
with final as (
    select
        cast(null as varchar) as plan_id,
        cast(null as varchar) as region_id,
        cast(null as decimal(18, 6)) as monthly_cost_usd,
        cast(null as decimal(18, 6)) as hourly_cost_usd,
        cast(null as decimal(18, 6)) as monthly_cost_preemptible_usd,
        cast(null as decimal(18, 6)) as hourly_cost_preemptible_usd
    where false
)
select * from final
