-- grain: one row per current region: its cheapest plan in stock now and deployable on demand, at the
-- region's price (plan_prices: its override, else the base price), of the type if bound
-- (bound: $plan_type); ties: more vCPUs, more RAM, plan_id
with in_stock as (
    select
        a.region_id, p.plan_id, p.plan_type, p.vcpu_count, p.ram_mb, p.disk_gb,
        coalesce(pp.monthly_cost_usd, p.monthly_cost_usd) as monthly_cost_usd,
        case when pp.plan_id is null then p.hourly_cost_usd else pp.hourly_cost_usd end as hourly_cost_usd,
        coalesce(pp.is_regional_price, false) as is_regional_price
    from availability a
    join plans p using (plan_id)
    left join plan_prices pp using (plan_id, region_id)
    where coalesce(p.is_deployable_ondemand, true) and coalesce(p.is_for_sale, true)
      and (cast($plan_type as varchar) is null or p.plan_type = $plan_type
           or starts_with(p.plan_type, $plan_type || '-'))
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
