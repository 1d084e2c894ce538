-- grain: one row per region in the snapshot being applied (v1 GET /regions/list, keyed by DCID)
with pages as (
    select body::json as doc from _snapshot_bodies where endpoint = 'regions'
),
items as (
    select entry.value as item
    from pages, json_each(pages.doc) as entry
),
final as (
    select
        -- v1 region ids: the lower-cased regioncode, the DCID when a region has none
        coalesce(lower(nullif(item ->> 'regioncode', '')), item ->> 'DCID') as region_id,
        nullif(item ->> 'name', '') as city,
        nullif(item ->> 'country', '') as country,
        nullif(item ->> 'continent', '') as continent,
        list_sort(list_filter(
            [case when cast(item ->> 'ddos_protection' as boolean) then 'ddos_protection' end,
             case when cast(item ->> 'block_storage' as boolean) then 'block_storage' end],
            lambda x: x is not null
        )) as options,
        nullif(item ->> 'state', '') as state,
        item ->> 'DCID' as dcid,
        cast(null as varchar[]) as connectivity
    from items
)
select * from final
