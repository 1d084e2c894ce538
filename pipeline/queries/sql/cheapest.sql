-- grain: one row per plan in stock in the region as of ts (bound: ts, region_id, plan_type x2,
-- min_vcpu, min_ram_mb, min_disk_gb, max_monthly_cost_usd x2, in_stock_only); cheapest first
with params as (
    select cast(? as timestamptz) as ts
),
plans_then as (
    select p.* from params, plans_at(params.ts) as p
),
in_stock as (
    select a.region_id, a.plan_id from params, availability_at(params.ts) as a
),
offered as (
    select l.region_id, l.plan_id from params, plan_locations_at(params.ts) as l
),
candidates as (
    select offered.region_id, offered.plan_id,
           in_stock.plan_id is not null as is_in_stock
    from offered
    left join in_stock using (region_id, plan_id)
    union
    select region_id, plan_id, true from in_stock
),
final as (
    select
        p.plan_id, p.plan_type, p.vcpu_count, p.ram_mb, p.disk_gb, p.disk_count, p.bandwidth_gb,
        p.monthly_cost_usd, p.hourly_cost_usd, c.region_id, c.is_in_stock, p.is_bare_metal,
        cast(p.monthly_cost_usd / nullif(p.vcpu_count, 0) as decimal(18, 4)) as monthly_cost_per_vcpu_usd,
        cast(p.monthly_cost_usd * 1024 / nullif(p.ram_mb, 0) as decimal(18, 4)) as monthly_cost_per_gb_ram_usd
    from candidates c
    join plans_then p using (plan_id)
    where c.region_id = ?
      and (? is null or p.plan_type = ?)
      and p.vcpu_count >= ?
      and p.ram_mb >= ?
      and coalesce(p.disk_gb, 0) >= ?
      and (? is null or p.monthly_cost_usd <= ?)
      and (c.is_in_stock or not ?)
)
select * from final
order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id
