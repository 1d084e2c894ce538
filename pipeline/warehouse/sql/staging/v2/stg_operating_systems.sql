-- grain: one row per operating system in the snapshot being applied (v2 GET /os, every page)
with pages as (
    select page, body::json as doc from _snapshot_bodies where endpoint = 'os'
),
items as (
    select page, unnest(from_json(doc -> 'os', '["json"]')) as item from pages
),
final as (
    select
        cast(item ->> 'id' as integer) as os_id,
        nullif(item ->> 'name', '') as name,
        nullif(item ->> 'arch', '') as arch,
        nullif(item ->> 'family', '') as family,
        nullif(item ->> 'family', '') = 'windows' as is_windows
    from items
    -- an id repeated across pages: the first page's item wins, deterministically
    qualify row_number() over (partition by item ->> 'id' order by page) = 1
)
select * from final
