-- grain: one row per (plan, region) where the plan is offered (v1 available_locations, DCIDs mapped to region ids)
with pages as (
    select body::json as doc from _snapshot_bodies where endpoint = 'plans'
),
offered as (
    select
        entry.value ->> 'VPSPLANID' as plan_id,
        unnest(from_json(coalesce(entry.value -> 'available_locations', '[]'), '["varchar"]')) as dcid
    from pages, json_each(pages.doc) as entry
),
final as (
    select distinct offered.plan_id, coalesce(stg_regions.region_id, offered.dcid) as region_id
    from offered
    left join stg_regions on stg_regions.dcid = offered.dcid
)
select * from final
