-- grain: one row per (plan, region) in stock (or offered) as of $ts where the plan is deployable on demand,
-- at the region's effective price (its override, else the base price, as in plan_prices); cheapest first.
-- Bound by name: ts, region_id (null = every region), continent (null = any), plan_type, min_vcpu,
-- min_ram_mb, min_disk_gb, max_monthly_cost_usd, in_stock_only, gpu_type, min_gpu_vram_gb, cpu_vendor,
-- cpu_allocation.
-- The same answer as cheapest.sql, from the as-of macros: what cheapest runs on a catalog published
-- before _offers_history existed, and the reference the tests hold cheapest.sql to.
with plans_then as (
    select * from plans_at(cast($ts as timestamptz))
),
regions_then as (
    select region_id, city, country, continent from regions_at(cast($ts as timestamptz))
    where (cast($region_id as varchar) is null or region_id = $region_id)
      and (cast($continent as varchar) is null or lower(continent) = lower($continent))
),
in_stock as (
    select region_id, plan_id from availability_at(cast($ts as timestamptz))
    where cast($region_id as varchar) is null or region_id = $region_id
),
offered as (
    select region_id, plan_id from plan_locations_at(cast($ts as timestamptz))
    where cast($region_id as varchar) is null or region_id = $region_id
),
overrides as (
    -- the plan_prices rules (plan_prices_at); the join with regions_then keeps the chosen regions
    select * from plan_prices_history
    where valid_from <= cast($ts as timestamptz) and (valid_to is null or valid_to > cast($ts as timestamptz))
      and (cast($region_id as varchar) is null or region_id = $region_id)
),
candidates as (
    -- every pair offered or in stock, once
    select region_id, plan_id, in_stock.plan_id is not null as is_in_stock
    from offered
    full join in_stock using (region_id, plan_id)
),
priced as (
    select
        p.plan_id, p.plan_type, p.vcpu_count, p.ram_mb, p.disk_gb, p.disk_count, p.bandwidth_gb,
        coalesce(o.monthly_cost_usd, p.monthly_cost_usd) as monthly_cost_usd,
        -- an override's monthly price without its hourly one has no known hourly price (never the base's)
        case when o.hourly_cost_usd is not null then o.hourly_cost_usd
             when o.monthly_cost_usd is null then p.hourly_cost_usd end as hourly_cost_usd,
        c.region_id, c.is_in_stock, p.is_bare_metal,
        o.plan_id is not null as is_regional_price,
        p.monthly_cost_usd as base_monthly_cost_usd,
        case when o.monthly_cost_preemptible_usd is not null then o.monthly_cost_preemptible_usd
             when o.monthly_cost_usd is null then p.monthly_cost_preemptible_usd end as monthly_cost_preemptible_usd,
        case when o.hourly_cost_preemptible_usd is not null then o.hourly_cost_preemptible_usd
             when o.monthly_cost_usd is null then p.hourly_cost_preemptible_usd end as hourly_cost_preemptible_usd,
        p.is_deployable_preemptible, p.invoice_type, p.cpu_vendor, p.cpu_model,
        p.gpu_type, p.gpu_count, p.gpu_vram_gb,
        r.city, r.country, r.continent,
        p.is_deployable_ondemand, p.is_for_sale, p.cpu_allocation, p.gpu_source
    from candidates c
    join plans_then p using (plan_id)
    join regions_then r using (region_id)
    left join overrides o using (plan_id, region_id)
),
final as (
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, region_id, is_in_stock, is_bare_metal,
        cast(monthly_cost_usd / nullif(vcpu_count, 0) as decimal(18, 4)) as monthly_cost_per_vcpu_usd,
        cast(monthly_cost_usd * 1024 / nullif(ram_mb, 0) as decimal(18, 4)) as monthly_cost_per_gb_ram_usd,
        is_regional_price, base_monthly_cost_usd, monthly_cost_preemptible_usd, hourly_cost_preemptible_usd,
        is_deployable_preemptible, invoice_type, cpu_vendor, cpu_model, gpu_type, gpu_count, gpu_vram_gb,
        city, country, continent, cpu_allocation, gpu_source
    from priced
    -- a preemptible-only plan cannot be bought on demand: never an on-demand answer (NULL = older API: yes)
    -- nor is a free plan (price 0) for sale (NULL = older catalog: yes)
    where coalesce(is_deployable_ondemand, true) and coalesce(is_for_sale, true)
      and (cast($plan_type as varchar) is null or plan_type = $plan_type or starts_with(plan_type, $plan_type || '-'))
      and vcpu_count >= $min_vcpu
      and ram_mb >= $min_ram_mb
      and coalesce(disk_gb, 0) >= $min_disk_gb
      and (cast($max_monthly_cost_usd as decimal(18, 6)) is null or monthly_cost_usd <= $max_monthly_cost_usd)
      and (is_in_stock or not $in_stock_only)
      and (cast($gpu_type as varchar) is null or lower(gpu_type) = lower($gpu_type))
      and (cast($min_gpu_vram_gb as integer) is null or gpu_vram_gb >= $min_gpu_vram_gb)
      and (cast($cpu_vendor as varchar) is null or lower(cpu_vendor) = lower($cpu_vendor))
      and (cast($cpu_allocation as varchar) is null or cpu_allocation = $cpu_allocation)
)
select * from final
order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id, region_id
