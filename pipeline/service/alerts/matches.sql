-- grain: one row per (alert rule, catalog change) that the rule matches, for changes with
-- snapshot_id in ($after_snapshot_id, $up_to_snapshot_id]; rules come from the temp table _alert_rules (match.py fills it)
with changes as (
    select *
    from catalog_changes
    where snapshot_id > $after_snapshot_id and snapshot_id <= $up_to_snapshot_id
),
with_plan_id as (
    select
        *,
        case when entity in ('plan', 'plan_location', 'availability', 'plan_price') then entity_id end as plan_id
    from changes
),
with_plan as (
    -- the plan's version as of the change: the new one for `changed`, the last one for `removed`
    select
        c.*,
        p.plan_type,
        p.vcpu_count,
        p.ram_mb,
        p.monthly_cost_usd
    from with_plan_id c
    asof left join plans_history p
        on c.plan_id = p.plan_id and c.changed_at >= p.valid_from
),
matched as (
    select
        r.rule_order,
        r.rule_name,
        c.*
    from with_plan c
    join _alert_rules r
        on (r.entities is null or list_contains(r.entities, c.entity))
        and (r.change_types is null or list_contains(r.change_types, c.change_type))
        and (r.fields is null or list_contains(r.fields, c.field))
        and (r.plan_ids is null or list_contains(r.plan_ids, c.plan_id))
        and (r.plan_types is null or list_contains(r.plan_types, c.plan_type))
        and (r.min_vcpu is null or c.vcpu_count >= r.min_vcpu)
        and (r.min_ram_mb is null or c.ram_mb >= r.min_ram_mb)
        and (r.max_monthly_cost_usd is null or c.monthly_cost_usd <= r.max_monthly_cost_usd)
        and (
            r.regions is null
            or list_contains(r.regions, c.region_id)
            -- a plan-level change (a price) matches the regions where the plan is offered
            or (c.region_id is null and c.plan_id is not null and exists (
                select 1
                from plan_locations_history l
                where l.plan_id = c.plan_id
                    and list_contains(r.regions, l.region_id)
                    and l.valid_from <= c.changed_at
                    and (l.valid_to is null or l.valid_to >= c.changed_at)
            ))
        )
),
final as (
    select
        m.rule_name,
        m.snapshot_id,
        m.changed_at,
        m.entity,
        m.entity_id,
        m.region_id,
        m.change_type,
        m.field,
        m.old_value,
        m.new_value,
        m.plan_id,
        m.plan_type,
        m.vcpu_count,
        m.ram_mb,
        m.monthly_cost_usd,
        s.is_simulated,
        concat_ws('|', m.snapshot_id, m.entity, m.entity_id, coalesce(m.region_id, ''), m.change_type,
                  coalesce(m.field, '')) as change_key
    from matched m
    join snapshots s using (snapshot_id)
    order by m.snapshot_id, m.rule_order, m.entity, m.entity_id, m.region_id, m.field
)
select * from final
