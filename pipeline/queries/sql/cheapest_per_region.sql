-- grain: one row per current region: its cheapest plan in stock now (of the type, if bound)
-- (bound: plan_type x2); ties: more vCPUs, more RAM, plan_id
with in_stock as (
    select a.region_id, p.*
    from availability a
    join plans p using (plan_id)
    where (cast(? as varchar) is null or p.plan_type = ?)
),
ranked as (
    select *, row_number() over (
        partition by region_id order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id) as rank_in_region
    from in_stock
),
final as (
    select r.region_id, r.city, r.country, ranked.plan_id, ranked.plan_type, ranked.vcpu_count,
           ranked.ram_mb, ranked.disk_gb, ranked.monthly_cost_usd, ranked.hourly_cost_usd
    from ranked
    join regions r using (region_id)
    where ranked.rank_in_region = 1
)
select * from final
order by monthly_cost_usd, region_id
