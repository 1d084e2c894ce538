-- grain: one row per (region, plan) in stock now (v1 GET /regions/availability?DCID=, DCIDs mapped to region ids)
with pages as (
    select region_key as dcid, body::json as doc
    from _snapshot_bodies
    where endpoint = 'availability'
),
in_stock as (
    select dcid, unnest(from_json(doc, '["varchar"]')) as plan_id from pages
),
final as (
    select distinct coalesce(stg_regions.region_id, in_stock.dcid) as region_id, in_stock.plan_id
    from in_stock
    left join stg_regions on stg_regions.dcid = in_stock.dcid
    where in_stock.plan_id is not null  -- a null names no plan
)
select * from final
