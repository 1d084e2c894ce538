-- grain: one row per catalog change, newest first
-- (bound: $entity, $region_id, $since, $until, $limit)
with final as (
    select snapshot_id, changed_at, entity, entity_id, region_id, change_type, field, old_value, new_value
    from catalog_changes
    where (cast($entity as varchar) is null or entity = $entity)
      and (cast($region_id as varchar) is null or region_id = $region_id)
      and (cast($since as timestamptz) is null or changed_at >= $since)
      and (cast($until as timestamptz) is null or changed_at < $until)
)
select * from final
order by changed_at desc, snapshot_id desc, entity, entity_id, region_id nulls first, field nulls first
limit $limit
