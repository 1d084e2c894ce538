-- grain: one row per API field the model does not know, first seen first
with final as (
    select entity, field, first_snapshot_id, first_seen_at from schema_drift
)
select * from final
order by first_seen_at, entity, field
