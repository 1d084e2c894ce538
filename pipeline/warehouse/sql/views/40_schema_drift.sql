-- grain: one row per API field the model does not know (kind new_field: the field, first seen), and one
-- per JSON type a field is sent as besides its first one (kind type_change: e.g. a number sent as a
-- string, read as the number; a described field that cannot be read is NULL), with the snapshot that
-- first had it. Fields of plans, bare-metal plans, regions, operating systems and the availability
-- answer, one level down too (`location_cost.*.monthly_cost`, `options[]`). The known fields are those
-- the staging models read (_known_api_fields, written at publish: pipeline.warehouse.drift). Drift never
-- fails a collection; it stays in raw and shows here.
create or replace view schema_drift as
with fields as (
    select entity, field, min(first_snapshot_id) as first_snapshot_id, min(first_seen_at) as first_seen_at
    from api_fields
    group by all
),
new_fields as (
    select f.entity, f.field, f.first_snapshot_id, f.first_seen_at, 'new_field' as kind,
           cast(null as varchar) as json_type
    from fields f
    anti join _known_api_fields k on k.entity = f.entity and k.field = f.field
),
typed as (
    -- the first type a field was sent as is its type (ties: the type most objects had)
    select *, row_number() over (partition by entity, field
                                 order by first_snapshot_id, item_count desc nulls last, json_type) as type_rank
    from api_fields
    where json_type is not null and json_type <> 'NULL'
),
type_changes as (
    select t.entity, t.field, t.first_snapshot_id, t.first_seen_at, 'type_change' as kind, t.json_type
    from typed t
    left join _known_api_fields k on k.entity = t.entity and k.field = t.field
    -- a field whose type varies by design (gpu_count: 8 or "1/4") changes no type
    where t.type_rank > 1 and not coalesce(list_contains(k.json_types, t.json_type), false)
),
final as (
    select * from new_fields
    union all
    select * from type_changes
)
select * from final;
