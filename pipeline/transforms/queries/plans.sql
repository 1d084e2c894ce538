-- grain: one row per plan, current (ts null) or as of ts (bound: ts, plan_type x2); cheapest first
with params as (
    select cast(? as timestamptz) as ts
),
versions as (
    select h.*
    from plans_history h, params
    where (params.ts is null and h.valid_to is null)
       or (params.ts is not null and h.valid_from <= params.ts and (h.valid_to is null or h.valid_to > params.ts))
),
final as (
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, is_bare_metal, disk_type, cpu_vendor, cpu_model,
        cpu_threads, plan_name, valid_from as updated_at
    from versions
    where (cast(? as varchar) is null or plan_type = ?)
)
select * from final
order by monthly_cost_usd, vcpu_count, ram_mb, plan_id
