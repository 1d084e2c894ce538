-- grain: one row per (entity, field name) present on the snapshot's plan, bare-metal plan or region objects
with pages as (
    select endpoint, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal', 'regions')
),
items as (
    select endpoint, unnest(from_json(doc -> endpoint, '["json"]')) as item from pages
),
final as (
    select distinct
        case endpoint when 'plans' then 'plan' when 'plans_metal' then 'plan_metal' else 'region' end as entity,
        unnest(json_keys(item)) as field
    from items
)
select * from final
