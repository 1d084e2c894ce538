-- grain: one catalog_changes row per availability change of a stock poll (added = back in stock,
-- removed = sold out). Bound: change_type, region_id, plan_id (equal-length lists, from
-- stock.read_poll), snapshot_id, at.
-- One select, no CTE chain: this runs in every changed stock poll of a minute cadence, and planning
-- the two CTEs cost it 0.2-0.4 ms of its ~1 ms (measured, optimizer as stock.lean_planning sets it).
insert into catalog_changes by name
select
    cast($snapshot_id as integer) as snapshot_id,
    cast($at as timestamptz) as changed_at,
    'availability' as entity,
    unnest(cast($plan_id as varchar[])) as entity_id,
    unnest(cast($region_id as varchar[])) as region_id,
    unnest(cast($change_type as varchar[])) as change_type
