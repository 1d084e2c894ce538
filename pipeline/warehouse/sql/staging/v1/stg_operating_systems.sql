-- grain: one row per operating system in the snapshot being applied (v1 GET /os/list, keyed by OSID)
with pages as (
    select body::json as doc from _snapshot_bodies where endpoint = 'os'
),
items as (
    select entry.value as item
    from pages, json_each(pages.doc) as entry
),
final as (
    select
        cast(item ->> 'OSID' as integer) as os_id,
        nullif(item ->> 'name', '') as name,
        nullif(item ->> 'arch', '') as arch,
        nullif(item ->> 'family', '') as family,
        cast(item ->> 'windows' as boolean) as is_windows
    from items
)
select * from final
