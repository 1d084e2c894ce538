-- grain: one row per (region, plan) in stock now (v2 GET /regions/{id}/availability)
with pages as (
    select region_key as region_id, body::json as doc
    from _snapshot_bodies
    where endpoint = 'availability'
),
final as (
    select distinct
        region_id,
        unnest(from_json(doc -> 'available_plans', '["varchar"]')) as plan_id
    from pages
)
select * from final
