-- grain: one row per plan in the snapshot being applied (v1 GET /plans/list?type=all, keyed by VPSPLANID)
with pages as (
    select body::json as doc from _snapshot_bodies where endpoint = 'plans'
),
items as (
    select entry.value as item
    from pages, json_each(pages.doc) as entry
),
typed as (
    select
        item ->> 'VPSPLANID' as plan_id,
        case upper(nullif(item ->> 'plan_type', ''))
            when 'SSD' then 'vc2'
            when 'HIGHFREQUENCY' then 'vhf'
            when 'DEDICATED' then 'vdc'
            else lower(nullif(item ->> 'plan_type', ''))
        end as plan_type,
        cast(nullif(item ->> 'vcpu_count', '') as integer) as vcpu_count,
        cast(nullif(item ->> 'ram', '') as integer) as ram_mb,
        cast(nullif(item ->> 'disk', '') as integer) as disk_gb,
        cast(nullif(item ->> 'disk_count', '') as integer) as disk_count,
        cast(nullif(item ->> 'bandwidth_gb', '') as integer) as bandwidth_gb,
        cast(nullif(item ->> 'price_per_month', '') as decimal(18, 6)) as monthly_cost_usd,
        cast(nullif(item ->> 'price_per_hour', '') as decimal(18, 6)) as hourly_cost_usd,
        false as is_bare_metal,
        cast(null as varchar) as disk_type,
        cast(null as varchar) as cpu_vendor,
        cast(null as varchar) as cpu_model,
        cast(null as integer) as cpu_thread_count,
        nullif(item ->> 'name', '') as plan_name,
        cast(item ->> 'windows' as boolean) as is_windows_capable,
        -- v1 knows none of the 2026 fields (those it implies are set in final)
        cast(null as decimal(18, 6)) as monthly_cost_preemptible_usd,
        cast(null as decimal(18, 6)) as hourly_cost_preemptible_usd,
        cast(null as boolean) as is_deployable_ondemand,
        cast(null as boolean) as is_deployable_preemptible,
        cast(null as varchar) as invoice_type,
        cast(null as varchar) as storage_type,
        cast(null as varchar) as vcpu_type,
        cast(null as boolean) as is_clusterable,
        cast(null as integer) as cpu_mhz,
        cast(null as integer) as cpu_core_count,
        cast(null as integer) as physical_cpu_count,
        cast(null as boolean) as has_gpu,
        cast(null as varchar) as gpu_brand,
        cast(null as varchar) as gpu_type,
        cast(null as decimal(18, 6)) as gpu_count,
        cast(null as integer) as gpu_vram_gb
    from items
),
final as (
    select
        *,
        cast(null as varchar) as gpu_source,
        cpu_allocation(plan_type) as cpu_allocation,
        cast(null as decimal(18, 3)) as link_speed_gbps,
        cast(null as varchar) as link_type,
        cast(null as boolean) as is_ipv6_only,
        is_for_sale(monthly_cost_usd) as is_for_sale
    from typed
)
select * from final
