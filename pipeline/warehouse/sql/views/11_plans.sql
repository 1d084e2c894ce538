-- grain: one row per plan (bare metal included) in the latest applied snapshot
create or replace view plans as
with current_versions as (
    select * from plans_history where valid_to is null
),
final as (
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, is_bare_metal, disk_type, cpu_vendor, cpu_model,
        cpu_threads, plan_name, valid_from as updated_at
    from current_versions
)
select * from final;
