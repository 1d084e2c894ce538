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
        nullif(item ->> 'disk_type', '') as disk_type_text,
        nullif(item ->> 'cpu_vendor', '') as cpu_vendor,
        nullif(item ->> 'cpu_model', '') as cpu_model,
        nullif(item ->> 'cpu_threads', '') as cpu_threads_text
    from items
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
        cast(null as varchar) as plan_name
    from fields
    -- an id repeated across pages: the first page's item wins, deterministically
    qualify row_number() over (partition by plan_id order by is_bare_metal, page) = 1
)
select * from final
