-- grain: one row per (region, plan) in stock now (v2 GET /regions/{id}/availability)
with pages as (
    select region_key as region_id, body::json as doc
    from _snapshot_bodies
    where endpoint = 'availability'
),
plan_ids as (
    select region_id, unnest(from_json(doc -> 'available_plans', '["varchar"]')) as plan_id
    from pages
),
final as (
    -- a null names no plan
    select distinct region_id, plan_id from plan_ids where plan_id is not null
)
select * from final
