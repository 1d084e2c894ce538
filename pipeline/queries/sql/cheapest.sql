-- grain: one row per (plan, region) in stock (or offered) as of $ts where the plan is deployable on demand,
-- at the region's effective price (its override, else the base price, as in plan_prices); cheapest first.
-- Reads _offers_history (built at each publish: warehouse/sql/derived/offers_history.sql) and the stock of
-- that moment: the answer of cheapest_as_of_macros.sql in a fraction of its planning time (one CTE: each
-- layer over these 28 columns costs planning time).
-- Bound by name: ts, min_vcpu, min_ram_mb, min_disk_gb; and, each on the lines marked `-- if <name>`, which
-- are left out (with their value) when it is None or False (pipeline.sql.optional_lines): region_id,
-- continent, plan_type, max_monthly_cost_usd, in_stock_only, gpu_type, min_gpu_vram_gb, cpu_vendor,
-- cpu_allocation.
with final as (
    select
        o.plan_id, o.plan_type, o.vcpu_count, o.ram_mb, o.disk_gb, o.disk_count, o.bandwidth_gb,
        o.monthly_cost_usd, o.hourly_cost_usd, o.region_id, s.plan_id is not null as is_in_stock, o.is_bare_metal,
        o.monthly_cost_per_vcpu_usd, o.monthly_cost_per_gb_ram_usd,
        o.is_regional_price, o.base_monthly_cost_usd, o.monthly_cost_preemptible_usd, o.hourly_cost_preemptible_usd,
        o.is_deployable_preemptible, o.invoice_type, o.cpu_vendor, o.cpu_model, o.gpu_type, o.gpu_count,
        o.gpu_vram_gb, o.city, o.country, o.continent, o.cpu_allocation, o.gpu_source
    from _offers_history o
    -- in stock as of ts
    left join availability_history s on s.plan_id = o.plan_id and s.region_id = o.region_id
        and s.valid_from <= cast($ts as timestamptz) and (s.valid_to is null or s.valid_to > cast($ts as timestamptz))
    where o.valid_from <= cast($ts as timestamptz) and (o.valid_to is null or o.valid_to > cast($ts as timestamptz))
      -- a pair is a candidate when offered or in stock (both as of ts), as in the as-of macros' full join
      and (o.is_offered or s.plan_id is not null)
      and o.vcpu_count >= $min_vcpu
      and o.ram_mb >= $min_ram_mb
      and coalesce(o.disk_gb, 0) >= $min_disk_gb
      and o.region_id = $region_id  -- if region_id
      and lower(o.continent) = lower($continent)  -- if continent
      -- a family (voc) means each of its types (voc-c, voc-g, ...)
      and (o.plan_type = $plan_type or starts_with(o.plan_type, $plan_type || '-'))  -- if plan_type
      and o.monthly_cost_usd <= $max_monthly_cost_usd  -- if max_monthly_cost_usd
      and lower(o.gpu_type) = lower($gpu_type)  -- if gpu_type
      and o.gpu_vram_gb >= $min_gpu_vram_gb  -- if min_gpu_vram_gb
      and lower(o.cpu_vendor) = lower($cpu_vendor)  -- if cpu_vendor
      and o.cpu_allocation = $cpu_allocation  -- if cpu_allocation
      and s.plan_id is not null  -- if in_stock_only
)
select * from final
order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id, region_id
