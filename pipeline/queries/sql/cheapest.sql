-- grain: one row per (plan, region) in stock (or offered) as of $ts where the plan is an on-demand answer,
-- at the region's effective price (the rule regional_cost: its override, else the base price); cheapest first.
-- Reads _offers_history (built at each publish: warehouse/sql/derived/_offers_history.sql, whose columns
-- are these, in this order) and the stock of that moment. One CTE: each layer over these 28 columns costs
-- planning time.
-- Bound by name: ts, min_vcpu, min_ram_mb, min_disk_gb; and, each on the lines marked `-- if <name>`, which
-- are left out (with their value) when it is None or False (pipeline.sql.optional_lines): region_id,
-- continent, plan_type (a type or a family: is_of_type), max_monthly_cost_usd, in_stock_only, gpu_type,
-- min_gpu_vram_gb, cpu_vendor, cpu_allocation.
with final as (
    select o.* exclude (is_offered, valid_from, valid_to) replace (s.plan_id is not null as is_in_stock)
    from _offers_history o
    -- in stock as of ts
    left join availability_history s on s.plan_id = o.plan_id and s.region_id = o.region_id
        and is_valid_at(s.valid_from, s.valid_to, cast($ts as timestamptz))
    where is_valid_at(o.valid_from, o.valid_to, cast($ts as timestamptz))
      -- a pair is a candidate when offered or in stock (both as of ts)
      and (o.is_offered or s.plan_id is not null)
      and o.vcpu_count >= $min_vcpu
      and o.ram_mb >= $min_ram_mb
      and coalesce(o.disk_gb, 0) >= $min_disk_gb
      and o.region_id = $region_id  -- if region_id
      and lower(o.continent) = lower($continent)  -- if continent
      and is_of_type(o.plan_type, $plan_type)  -- if plan_type
      and o.monthly_cost_usd <= $max_monthly_cost_usd  -- if max_monthly_cost_usd
      and lower(o.gpu_type) = lower($gpu_type)  -- if gpu_type
      and o.gpu_vram_gb >= $min_gpu_vram_gb  -- if min_gpu_vram_gb
      and lower(o.cpu_vendor) = lower($cpu_vendor)  -- if cpu_vendor
      and o.cpu_allocation = $cpu_allocation  -- if cpu_allocation
      and s.plan_id is not null  -- if in_stock_only
)
select * from final
order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id, region_id
