-- grain: one row per sell-out or restock (an availability change) of a plan in a region: each plan's
-- newest $per_plan, newest first (bound by name: per_plan)
with events as (
    select entity_id as plan_id, region_id, changed_at, change_type, snapshot_id,
        row_number() over (partition by entity_id order by changed_at desc, region_id) as recency
    from catalog_changes
    where entity = 'availability'
),
final as (
    select plan_id, region_id, changed_at,
        case change_type when 'added' then 'restock' else 'sell_out' end as event, snapshot_id
    from events
    where recency <= $per_plan
)
select * from final
order by plan_id, changed_at desc, region_id
