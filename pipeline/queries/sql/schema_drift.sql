-- grain: one row per API field the model does not know (kind new_field) or per JSON type a field is
-- sent as besides its first (kind type_change), first seen first
with final as (
    select entity, field, first_snapshot_id, first_seen_at, kind, json_type from schema_drift
)
select * from final
order by first_seen_at, entity, field, kind, json_type
