-- grain: one row per current region: its cheapest plan in stock now that is an on-demand answer
-- (is_on_demand), at the region's price (regional_cost: its override, else the base price, whether or not
-- the plan's locations name the region, as in `cheapest` and `fleet`), of the type or family if bound
-- (bound: $plan_type); ties: more vCPUs, more RAM, plan_id
with overrides as (
    select * from plan_prices_history where valid_to is null
),
in_stock as (
    select
        a.region_id, p.plan_id, p.plan_type, p.vcpu_count, p.ram_mb, p.disk_gb,
        regional_cost(o.monthly_cost_usd, p.monthly_cost_usd, o.monthly_cost_usd) as monthly_cost_usd,
        regional_cost(o.hourly_cost_usd, p.hourly_cost_usd, o.monthly_cost_usd) as hourly_cost_usd,
        o.plan_id is not null as is_regional_price
    from availability a
    join plans p using (plan_id)
    left join overrides o using (plan_id, region_id)
    where is_on_demand(p.is_deployable_ondemand, p.is_for_sale)
      and (cast($plan_type as varchar) is null or is_of_type(p.plan_type, $plan_type))
),
ranked as (
    select *, row_number() over (
        partition by region_id order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id) as rank_in_region
    from in_stock
),
final as (
    select r.region_id, r.city, r.country, ranked.plan_id, ranked.plan_type, ranked.vcpu_count,
           ranked.ram_mb, ranked.disk_gb, ranked.monthly_cost_usd, ranked.hourly_cost_usd, ranked.is_regional_price
    from ranked
    join regions r using (region_id)
    where ranked.rank_in_region = 1
)
select * from final
order by monthly_cost_usd, region_id
