-- grain: one row per plan in the snapshot being applied (v1 GET /plans/list?type=all, keyed by VPSPLANID)
with pages as (
    select body::json as doc from _snapshot_bodies where endpoint = 'plans'
),
items as (
    select entry.value as item
    from pages, json_each(pages.doc) as entry
),
final as (
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
        cast(null as integer) as cpu_threads,
        nullif(item ->> 'name', '') as plan_name
    from items
)
select * from final
