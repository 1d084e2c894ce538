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
        -- vCPUs are threads on every plan: bare metal's are its cpu_threads (cpu_count = cores when absent)
        nullif(case when endpoint = 'plans_metal' then coalesce(item ->> 'cpu_threads', item ->> 'cpu_count')
                    else item ->> 'vcpu_count' end, '') as vcpu_text,
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
        -- the vendor is cpu_vendor on cloud plans and some bare metal, cpu_manufacturer on other bare metal
        nullif(coalesce(item ->> 'cpu_vendor', item ->> 'cpu_manufacturer'), '') as cpu_vendor,
        nullif(item ->> 'cpu_model', '') as cpu_model,
        nullif(item ->> 'cpu_mhz', '') as cpu_mhz_text,
        nullif(coalesce(item ->> 'cpu_cores', case when endpoint = 'plans_metal' then item ->> 'cpu_count' end), '')
            as cpu_cores_text,
        nullif(item ->> 'cpu_threads', '') as cpu_threads_text,
        nullif(item ->> 'physical_cpus', '') as physical_cpus_text,
        nullif(item ->> 'name', '') as plan_name,
        nullif(item ->> 'link_speed', '') as link_speed_text,
        nullif(item ->> 'link_type', '') as link_type,
        nullif(item ->> 'gpu_brand', '') as gpu_brand_text,
        nullif(item ->> 'gpu_type', '') as gpu_type_text,
        nullif(item ->> 'gpu_count', '') as gpu_count_text,
        nullif(item ->> 'gpu_vram_gb', '') as gpu_vram_text
    from items
),
typed as (
    select
        *,
        -- bare metal's api `type` is the disk kind, not a plan type
        case when is_bare_metal then 'vbm' else api_type end as plan_type,
        -- the API's own GPU facts: a share of one GPU is a string fraction ("1/4"), whole GPUs are numbers
        coalesce(gpu_type_text, gpu_count_text, gpu_vram_text) is not null
            and lower(coalesce(gpu_brand_text, '')) <> 'none' as has_api_gpu,
        case when contains(gpu_count_text, '/')
             then try_cast(split_part(gpu_count_text, '/', 1) as decimal(18, 6))
                  / nullif(try_cast(split_part(gpu_count_text, '/', 2) as decimal(18, 6)), 0)
             else try_cast(gpu_count_text as decimal(18, 6))
        end as api_gpu_count,
        -- what a GPU plan's id says: vcg-<gpu>-<cores>c-<ram>g-<total VRAM>vram, or ...-<count>-<gpu>-gpu
        regexp_extract(plan_id, '^vcg-([a-z0-9]+)-.*-([0-9]+)vram$', ['segment', 'vram_gb']) as vram_id,
        regexp_extract(plan_id, '-([0-9]+)-([a-z0-9]+)-gpu$', ['gpu_count', 'segment']) as count_id
    from fields
),
gpus as (
    -- GPU facts from the API, else the packaged table (known plans), else the plan id (facts.py)
    select
        t.*,
        case when lower(t.gpu_brand_text) = 'none' then null when t.has_api_gpu then 'api' when k.plan_id is not null then 'table'
             when v.segment is not null then 'plan_id' end as gpu_source,
        -- gpu_brand "none" = no GPU; GPU facts or a GPU plan type = a GPU; nothing said = unknown
        case when lower(t.gpu_brand_text) = 'none' then false
             when t.has_api_gpu or t.gpu_brand_text is not null or k.plan_id is not null or v.segment is not null
                  or t.plan_type in ('vcg', 'vdm') then true
        end as has_gpu,
        k.gpu_brand as table_gpu_brand, k.gpu_type as table_gpu_type, k.gpu_count as table_gpu_count,
        k.gpu_vram_gb as table_gpu_vram_gb,
        v.gpu_brand as id_gpu_brand, v.gpu_type as id_gpu_type,
        coalesce(cast(nullif(t.count_id.gpu_count, '') as decimal(18, 6)),
                 cast(nullif(t.vram_id.vram_gb, '') as decimal(18, 6)) / v.vram_gb) as id_gpu_count,
        coalesce(cast(nullif(t.vram_id.vram_gb, '') as integer),
                 cast(nullif(t.count_id.gpu_count, '') as integer) * v.vram_gb) as id_gpu_vram_gb
    from typed t
    left join _gpu_plan_facts k on k.plan_id = t.plan_id
    left join _gpu_vram_per_gpu v on v.segment = coalesce(nullif(t.vram_id.segment, ''), nullif(t.count_id.segment, ''))
),
final as (
    -- try_cast throughout: what an answer needs (id, monthly price, RAM, vCPUs, locations) and cannot
    -- be read rejects the snapshot (checks/unreadable_fields.sql names the plan and field); a field
    -- that only describes a plan and cannot be read is NULL (and a type change in schema_drift)
    select
        plan_id,
        plan_type,
        try_cast(vcpu_text as integer) as vcpu_count,
        try_cast(ram_text as integer) as ram_mb,
        try_cast(disk_text as integer) as disk_gb,
        try_cast(disk_count_text as integer) as disk_count,
        try_cast(bandwidth_text as integer) as bandwidth_gb,
        try_cast(monthly_text as decimal(18, 6)) as monthly_cost_usd,
        try_cast(hourly_text as decimal(18, 6)) as hourly_cost_usd,
        is_bare_metal,
        case when is_bare_metal then api_type else disk_type_text end as disk_type,
        cpu_vendor,
        cpu_model,
        try_cast(cpu_threads_text as integer) as cpu_thread_count,
        plan_name,
        try_cast(monthly_preemptible_text as decimal(18, 6)) as monthly_cost_preemptible_usd,
        try_cast(hourly_preemptible_text as decimal(18, 6)) as hourly_cost_preemptible_usd,
        try_cast(ondemand_text as boolean) as is_deployable_ondemand,
        try_cast(preemptible_text as boolean) as is_deployable_preemptible,
        invoice_type,
        storage_type,
        vcpu_type,
        case lower(clusterable_text) when 'yes' then true when 'no' then false
             else try_cast(clusterable_text as boolean) end as is_clusterable,
        try_cast(cpu_mhz_text as integer) as cpu_mhz,
        try_cast(cpu_cores_text as integer) as cpu_core_count,
        try_cast(physical_cpus_text as integer) as physical_cpu_count,
        has_gpu,
        case when not has_gpu then null when gpu_source = 'api' or gpu_source is null then gpu_brand_text
             when gpu_source = 'table' then table_gpu_brand else id_gpu_brand end as gpu_brand,
        case gpu_source when 'api' then gpu_type_text when 'table' then table_gpu_type
             when 'plan_id' then id_gpu_type end as gpu_type,
        cast(case gpu_source when 'api' then api_gpu_count when 'table' then table_gpu_count
                  when 'plan_id' then id_gpu_count end as decimal(18, 6)) as gpu_count,
        case gpu_source when 'api' then try_cast(gpu_vram_text as integer) when 'table' then table_gpu_vram_gb
             when 'plan_id' then id_gpu_vram_gb end as gpu_vram_gb,
        gpu_source,
        cpu_allocation(plan_type) as cpu_allocation,
        try_cast(link_speed_text as decimal(18, 3)) as link_speed_gbps,
        link_type,
        -- Vultr's IPv6-only plans carry the -v6 suffix (vc2-1c-0.5gb-v6); no field says it
        ends_with(plan_id, '-v6') as is_ipv6_only,
        is_for_sale(cast(monthly_text as decimal(18, 6))) as is_for_sale,
        cast(null as boolean) as is_windows_capable  -- v1 only
    from gpus
    -- an id repeated across pages: the first page's item wins, deterministically
    qualify row_number() over (partition by plan_id order by is_bare_metal, page) = 1
)
select * from final
