-- grain: one row per (entity, field path, JSON type) in the snapshot's v2 answers, with how many objects
-- sent it so: the fields of plan, bare-metal plan, region and OS objects and of the availability answer,
-- and one level down the keys of each `location_cost` entry (`location_cost.*.monthly_cost`), of other
-- object fields (`field.key`) and the elements of arrays (`options[]`; elements of mixed types: JSON).
-- Numbers are one type (NUMBER): 5 and 7.5 are both prices. A JSON null is type NULL, which changes no
-- field's type. Read from each object's json_structure, once per distinct structure (most plans share one).
with pages as (
    select endpoint, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal', 'regions', 'os', 'availability')
),
objects as (
    select endpoint, unnest(from_json(doc -> endpoint, '["json"]')) as item from pages where endpoint <> 'availability'
    union all
    select endpoint, doc from pages where endpoint = 'availability'
),
structures as (
    select
        case endpoint when 'plans' then 'plan' when 'plans_metal' then 'plan_metal' when 'regions' then 'region'
             else endpoint end as entity,
        json_structure(item) as structure,
        count(*) as item_count
    from objects
    where json_type(item) = 'OBJECT'
    group by all
),
fields as (
    -- a structure's value: a type name (a JSON string), an object of structures, or [element structure]
    select s.entity, e.key as field, e.value as structure, s.item_count, false as is_element
    from structures s, json_each(s.structure) as e
),
location_costs as (
    -- a map of region id -> prices: the keys of its entries are the fields
    select f.entity, 'location_cost.*.' || k.key as field, k.value as structure, f.item_count, false
    from fields f, json_each(f.structure) as r, json_each(r.value) as k
    where f.field = 'location_cost' and json_type(f.structure) = 'OBJECT' and json_type(r.value) = 'OBJECT'
),
nested_objects as (
    select f.entity, f.field || '.' || k.key as field, k.value as structure, f.item_count, false
    from fields f, json_each(f.structure) as k
    where json_type(f.structure) = 'OBJECT' and f.field <> 'location_cost'
),
elements as (
    select entity, field || '[]' as field, structure -> 0 as structure, item_count, true
    from fields
    where json_type(structure) = 'ARRAY'
),
every_path as (
    select * from fields
    union all select * from location_costs
    union all select * from nested_objects
    union all select * from elements
),
typed as (
    select
        entity, field, item_count,
        -- json_structure says JSON for an empty object, and for array elements of mixed types
        case when json_type(structure) in ('OBJECT', 'ARRAY') then json_type(structure)
             when structure ->> '$' = 'JSON' and not is_element then 'OBJECT'
             else structure ->> '$' end as structure_type
    from every_path
),
final as (
    select
        entity, field,
        case when structure_type in ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') then 'NUMBER' else structure_type end
            as json_type,
        cast(sum(item_count) as integer) as item_count
    from typed
    group by all
)
select * from final
