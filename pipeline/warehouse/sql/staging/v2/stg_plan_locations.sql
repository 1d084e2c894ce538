-- grain: one row per (plan, region) where the plan is offered (v2 plans[].locations)
with pages as (
    select endpoint, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal')
),
items as (
    select unnest(from_json(doc -> endpoint, '["json"]')) as item from pages
),
final as (
    select distinct
        item ->> 'id' as plan_id,
        unnest(from_json(coalesce(item -> 'locations', '[]'), '["varchar"]')) as region_id
    from items
)
select * from final
