-- grain: one row per plan in the snapshot being applied (v2 GET /plans?type=all and GET /plans-metal)
with pages as (
    select endpoint, page, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal')
),
items as (
    select endpoint, page, unnest(from_json(doc -> endpoint, '["json"]')) as item from pages
),
fields as (
    select
        endpoint = 'plans_metal' as is_bare_metal,
        page,
        item ->> 'id' as plan_id,
        nullif(item ->> 'type', '') as api_type,
        nullif(coalesce(item ->> 'vcpu_count', item ->> 'cpu_count'), '') as vcpu_text,
        nullif(item ->> 'ram', '') as ram_text,
        nullif(item ->> 'disk', '') as disk_text,
        nullif(item ->> 'disk_count', '') as disk_count_text,
        nullif(item ->> 'bandwidth', '') as bandwidth_text,
        nullif(item ->> 'monthly_cost', '') as monthly_text,
        nullif(item ->> 'hourly_cost', '') as hourly_text,
        nullif(item ->> 'monthly_cost_preemptible', '') as monthly_preemptible_text,
        nullif(item ->> 'hourly_cost_preemptible', '') as hourly_preemptible_text,
        nullif(item ->> 'deploy_ondemand', '') as ondemand_text,
        nullif(item ->> 'deploy_preemptible', '') as preemptible_text,
        nullif(item ->> 'invoice_type', '') as invoice_type,
        nullif(item ->> 'disk_type', '') as disk_type_text,
        nullif(item ->> 'storage_type', '') as storage_type,
        nullif(item ->> 'vcpu_type', '') as vcpu_type,
        nullif(item ->> 'clusterable', '') as clusterable_text,
        -- cloud plans say cpu_vendor, bare metal cpu_manufacturer
        nullif(coalesce(item ->> 'cpu_vendor', item ->> 'cpu_manufacturer'), '') as cpu_vendor,
        nullif(item ->> 'cpu_model', '') as cpu_model,
        nullif(item ->> 'cpu_mhz', '') as cpu_mhz_text,
        nullif(coalesce(item ->> 'cpu_cores', case when endpoint = 'plans_metal' then item ->> 'cpu_count' end), '')
            as cpu_cores_text,
        nullif(item ->> 'cpu_threads', '') as cpu_threads_text,
        nullif(item ->> 'physical_cpus', '') as physical_cpus_text,
        nullif(item ->> 'gpu_brand', '') as gpu_brand_text,
        nullif(item ->> 'gpu_type', '') as gpu_type_text,
        nullif(item ->> 'gpu_count', '') as gpu_count_text,
        nullif(item ->> 'gpu_vram_gb', '') as gpu_vram_text
    from items
),
gpus as (
    select
        *,
        -- gpu_brand "none" = no GPU: every GPU column is NULL then; no gpu fields at all = unknown
        case when lower(gpu_brand_text) = 'none' then false
             when coalesce(gpu_brand_text, gpu_type_text, gpu_count_text) is not null then true
        end as has_gpu,
        -- a share of one GPU is a string fraction ("1/4"); whole GPUs are numbers
        case when contains(gpu_count_text, '/')
             then cast(split_part(gpu_count_text, '/', 1) as decimal(18, 6))
                  / nullif(cast(split_part(gpu_count_text, '/', 2) as decimal(18, 6)), 0)
             else cast(gpu_count_text as decimal(18, 6))
        end as gpu_count_value
    from fields
),
final as (
    select
        plan_id,
        -- bare metal's api `type` is the disk kind, not a plan type
        case when is_bare_metal then 'vbm' else api_type end as plan_type,
        cast(vcpu_text as integer) as vcpu_count,
        cast(ram_text as integer) as ram_mb,
        cast(disk_text as integer) as disk_gb,
        cast(disk_count_text as integer) as disk_count,
        cast(bandwidth_text as integer) as bandwidth_gb,
        cast(monthly_text as decimal(18, 6)) as monthly_cost_usd,
        cast(hourly_text as decimal(18, 6)) as hourly_cost_usd,
        is_bare_metal,
        case when is_bare_metal then api_type else disk_type_text end as disk_type,
        cpu_vendor,
        cpu_model,
        cast(cpu_threads_text as integer) as cpu_threads,
        cast(null as varchar) as plan_name,
        cast(monthly_preemptible_text as decimal(18, 6)) as monthly_cost_preemptible_usd,
        cast(hourly_preemptible_text as decimal(18, 6)) as hourly_cost_preemptible_usd,
        cast(ondemand_text as boolean) as is_deployable_ondemand,
        cast(preemptible_text as boolean) as is_deployable_preemptible,
        invoice_type,
        storage_type,
        vcpu_type,
        case lower(clusterable_text) when 'yes' then true when 'no' then false
             else cast(clusterable_text as boolean) end as is_clusterable,
        cast(cpu_mhz_text as integer) as cpu_mhz,
        cast(cpu_cores_text as integer) as cpu_core_count,
        cast(physical_cpus_text as integer) as physical_cpu_count,
        has_gpu,
        case when has_gpu then gpu_brand_text end as gpu_brand,
        case when has_gpu then gpu_type_text end as gpu_type,
        case when has_gpu then cast(gpu_count_value as decimal(18, 6)) end as gpu_count,
        case when has_gpu then cast(gpu_vram_text as integer) end as gpu_vram_gb
    from gpus
    -- an id repeated across pages: the first page's item wins, deterministically
    qualify row_number() over (partition by plan_id order by is_bare_metal, page) = 1
)
select * from final
