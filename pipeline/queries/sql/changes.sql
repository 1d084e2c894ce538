-- grain: one row per catalog change, newest first
-- (bound: entity x2, region_id x2, since x2, until x2, limit)
with final as (
    select snapshot_id, changed_at, entity, entity_id, region_id, change_type, field, old_value, new_value
    from catalog_changes
    where (cast(? as varchar) is null or entity = ?)
      and (cast(? as varchar) is null or region_id = ?)
      and (cast(? as timestamptz) is null or changed_at >= ?)
      and (cast(? as timestamptz) is null or changed_at < ?)
)
select * from final
order by changed_at desc, snapshot_id desc, entity, entity_id, region_id nulls first, field nulls first
limit ?
