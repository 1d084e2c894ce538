-- grain: one catalog_changes row per availability change of a stock poll (added = back in stock,
-- removed = sold out). Bound: change_type, region_id, plan_id (equal-length lists, from
-- stock.read_poll), snapshot_id, at.
insert into catalog_changes by name
with given as (
    select
        unnest(cast($change_type as varchar[])) as change_type,
        unnest(cast($region_id as varchar[])) as region_id,
        unnest(cast($plan_id as varchar[])) as plan_id
),
final as (
    select
        cast($snapshot_id as integer) as snapshot_id,
        cast($at as timestamptz) as changed_at,
        'availability' as entity,
        plan_id as entity_id,
        region_id,
        change_type
    from given
)
select * from final
