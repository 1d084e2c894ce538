-- grain: one row per catalog change among the newest $per_feed of all changes, or of its region's, or of its
-- plan type's (changes of plans: plan, plan_location, availability, plan_price), newest first; plan_type is
-- the type of the plan it concerns (its latest version; NULL for other entities) (bound by name: per_feed)
with plan_types as (
    select plan_id, arg_max(plan_type, valid_from) as plan_type
    from plans_history
    group by plan_id
),
typed as (
    select c.snapshot_id, c.changed_at, c.entity, c.entity_id, c.region_id, c.change_type, c.field, c.old_value,
        c.new_value,
        case when c.entity in ('plan', 'plan_location', 'availability', 'plan_price') then t.plan_type end as plan_type
    from catalog_changes c
    left join plan_types t on t.plan_id = c.entity_id
),
ranked as (
    select *,
        row_number() over (order by changed_at desc, snapshot_id desc, entity, entity_id, region_id, field)
            as recency,
        row_number() over (partition by region_id order by changed_at desc, snapshot_id desc, entity, entity_id, field)
            as recency_in_region,
        row_number() over (partition by plan_type order by changed_at desc, snapshot_id desc, entity, entity_id,
                           region_id, field) as recency_in_type
    from typed
),
final as (
    select snapshot_id, changed_at, entity, entity_id, region_id, change_type, field, old_value, new_value, plan_type,
        recency <= $per_feed as is_newest,
        region_id is not null and recency_in_region <= $per_feed as is_newest_in_region,
        plan_type is not null and recency_in_type <= $per_feed as is_newest_in_type
    from ranked
    where recency <= $per_feed or recency_in_region <= $per_feed or recency_in_type <= $per_feed
)
select * from final
order by changed_at desc, snapshot_id desc, entity, entity_id, region_id nulls first, field nulls first
