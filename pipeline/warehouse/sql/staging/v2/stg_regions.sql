-- grain: one row per region in the snapshot being applied (v2 GET /regions, every page)
with pages as (
    select page, body::json as doc from _snapshot_bodies where endpoint = 'regions'
),
items as (
    select page, unnest(from_json(doc -> 'regions', '["json"]')) as item from pages
),
final as (
    select
        item ->> 'id' as region_id,
        nullif(item ->> 'city', '') as city,
        nullif(item ->> 'country', '') as country,
        nullif(item ->> 'continent', '') as continent,
        list_sort(from_json(item -> 'options', '["varchar"]')) as options,
        cast(null as varchar) as state,
        cast(null as varchar) as dcid,
        -- sent since February 2026 (govultr); sorted like options. An unreadable list is NULL (and drift)
        list_sort(try(from_json(item -> 'connectivity', '["varchar"]'))) as connectivity
    from items
    -- an id repeated across pages: the first page's item wins, deterministically
    qualify row_number() over (partition by item ->> 'id' order by page) = 1
)
select * from final
