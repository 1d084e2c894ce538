-- grain: one row per plan (bare metal included) in the latest applied snapshot
create or replace view plans as
with current_versions as (
    select * from plans_history where valid_to is null
),
final as (
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, is_bare_metal, disk_type, cpu_vendor, cpu_model,
        cpu_threads, plan_name, valid_from as updated_at,
        monthly_cost_preemptible_usd, hourly_cost_preemptible_usd,
        is_deployable_ondemand, is_deployable_preemptible, invoice_type, storage_type, vcpu_type,
        is_clusterable, cpu_mhz, cpu_core_count,
        cpu_threads as cpu_thread_count,  -- the contract's name; cpu_threads kept for older readers
        physical_cpu_count, has_gpu, gpu_brand, gpu_type, gpu_count, gpu_vram_gb,
        gpu_source, cpu_allocation, link_speed_gbps, link_type, is_ipv6_only, is_for_sale
    from current_versions
)
select * from final;
