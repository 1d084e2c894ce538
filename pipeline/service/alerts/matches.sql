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
    -- the plan's version as of the change: the new one for `changed`, the last one for `removed`; its price
    -- in the change's region (that region's override as of the change, else the base price)
    select
        c.*,
        p.plan_type,
        p.vcpu_count,
        p.ram_mb,
        p.gpu_type,
        p.gpu_vram_gb,
        p.cpu_allocation,
        p.monthly_cost_usd as base_monthly_cost_usd,
        p.hourly_cost_usd as base_hourly_cost_usd
    from with_plan_id c
    asof left join plans_history p
        on c.plan_id = p.plan_id and c.changed_at >= p.valid_from
),
with_price as (
    -- in a region: its price there (the regional override as of the change, else the base price)
    select
        c.* exclude (base_monthly_cost_usd, base_hourly_cost_usd),
        regional_cost(pp.monthly_cost_usd, c.base_monthly_cost_usd, pp.monthly_cost_usd) as monthly_cost_usd,
        regional_cost(pp.hourly_cost_usd, c.base_hourly_cost_usd, pp.monthly_cost_usd) as hourly_cost_usd
    from with_plan c
    left join plan_prices_history pp
        on c.plan_id = pp.plan_id and c.region_id = pp.region_id
        and is_valid_at(pp.valid_from, pp.valid_to, c.changed_at)
),
with_region as (
    select c.*, lower(r.continent) as continent
    from with_price c
    asof left join regions_history r
        on c.region_id = r.region_id and c.changed_at >= r.valid_from
),
with_offered as (
    -- where a plan-level change (a price) applies: the regions offering the plan then, and their continents
    select
        c.*,
        o.region_ids as offered_region_ids,
        o.continents as offered_continents
    from with_region c
    left join lateral (
        select list(distinct l.region_id) as region_ids, list(distinct lower(g.continent)) as continents
        from plan_locations_history l
        left join regions_history g
            on g.region_id = l.region_id and is_valid_at(g.valid_from, g.valid_to, c.changed_at)
        where c.region_id is null
            and l.plan_id = c.plan_id
            and l.valid_from <= c.changed_at
            and (l.valid_to is null or l.valid_to >= c.changed_at)
    ) o on true
),
matched as (
    select
        r.rule_order,
        r.rule_name,
        c.*
    from with_offered c
    join _alert_rules r
        on (r.entities is null or list_contains(r.entities, c.entity))
        and (r.change_types is null or list_contains(r.change_types, c.change_type))
        and (r.fields is null or list_contains(r.fields, c.field))
        and (r.plan_ids is null or list_contains(r.plan_ids, c.plan_id))
        and (r.plan_types is null or list_contains(r.plan_types, c.plan_type))
        and (r.min_vcpu is null or c.vcpu_count >= r.min_vcpu)
        and (r.min_ram_mb is null or c.ram_mb >= r.min_ram_mb)
        and (r.max_monthly_cost_usd is null or c.monthly_cost_usd <= r.max_monthly_cost_usd)
        and (r.gpu_types is null or list_contains(r.gpu_types, c.gpu_type))
        and (r.min_gpu_vram_gb is null or c.gpu_vram_gb >= r.min_gpu_vram_gb)
        and (r.cpu_allocations is null or list_contains(r.cpu_allocations, c.cpu_allocation))
        and (r.regions is null or list_contains(r.regions, c.region_id)
             or list_has_any(r.regions, c.offered_region_ids))
        and (r.continents is null or list_contains(r.continents, c.continent)
             or list_has_any(r.continents, c.offered_continents))
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
        m.hourly_cost_usd,
        m.gpu_type,
        m.gpu_vram_gb,
        m.cpu_allocation,
        s.is_simulated,
        concat_ws('|', m.snapshot_id, m.entity, m.entity_id, coalesce(m.region_id, ''), m.change_type,
                  coalesce(m.field, '')) as change_key
    from matched m
    join snapshots s using (snapshot_id)
    order by m.snapshot_id, m.rule_order, m.entity, m.entity_id, m.region_id, m.field
)
select * from final
