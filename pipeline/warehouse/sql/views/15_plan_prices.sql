-- grain: one row per (plan, region) where the plan is offered in the latest applied snapshot: the price
-- there, the region's override (v2 location_cost) where there is one, else the plan's base price
create or replace view plan_prices as
with offered as (
    select plan_id, region_id from plan_locations_history where valid_to is null
),
base as (
    select plan_id, monthly_cost_usd, hourly_cost_usd, monthly_cost_preemptible_usd, hourly_cost_preemptible_usd
    from plans_history where valid_to is null
),
regional as (
    select * from plan_prices_history where valid_to is null
),
final as (
    select
        o.plan_id,
        o.region_id,
        coalesce(r.monthly_cost_usd, b.monthly_cost_usd) as monthly_cost_usd,
        -- an override's monthly price without its hourly one has no known hourly price (never the base's)
        case when r.hourly_cost_usd is not null then r.hourly_cost_usd
             when r.monthly_cost_usd is null then b.hourly_cost_usd end as hourly_cost_usd,
        case when r.monthly_cost_preemptible_usd is not null then r.monthly_cost_preemptible_usd
             when r.monthly_cost_usd is null then b.monthly_cost_preemptible_usd end as monthly_cost_preemptible_usd,
        case when r.hourly_cost_preemptible_usd is not null then r.hourly_cost_preemptible_usd
             when r.monthly_cost_usd is null then b.hourly_cost_preemptible_usd end as hourly_cost_preemptible_usd,
        r.plan_id is not null as is_regional_price
    from offered o
    join base b using (plan_id)
    left join regional r using (plan_id, region_id)
)
select * from final;
