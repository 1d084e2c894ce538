-- grain: one row per reason the staged snapshot looks implausible next to the current catalog
with current_counts as (
    select
        (select count(*) from plans_history where valid_to is null) as plans,
        (select count(*) from plans_history where valid_to is null and is_bare_metal) as metal_plans,
        (select count(*) from regions_history where valid_to is null) as regions,
        (select count(*) from operating_systems_history where valid_to is null) as os,
        (select count(*) from availability_history where valid_to is null) as in_stock
),
staged_counts as (
    select
        (select count(*) from stg_plans) as plans,
        (select count(*) from stg_plans where is_bare_metal) as metal_plans,
        (select count(*) from stg_regions) as regions,
        (select count(*) from stg_operating_systems) as os,
        (select count(*) from stg_availability) as in_stock,
        (select count(*) from stg_plans where monthly_cost_usd > 0) as priced_plans,
        (select count(*) from stg_regions anti join regions_history h
            on h.region_id = stg_regions.region_id and h.valid_to is null) as new_regions
),
-- plans that had a positive price: a price at or below zero, or a jump past x10 or /10, is a glitch
price_moves as (
    select s.plan_id, h.monthly_cost_usd as old_usd, s.monthly_cost_usd as new_usd
    from stg_plans s
    join plans_history h on h.plan_id = s.plan_id and h.valid_to is null
    where h.monthly_cost_usd > 0
),
bad_prices as (
    select
        case when coalesce(new_usd, 0) <= 0 then 'fell to zero or below' else 'moved more than x10 or /10' end as kind,
        plan_id, old_usd, new_usd
    from price_moves
    where coalesce(new_usd, 0) <= 0 or new_usd > old_usd * 10 or new_usd * 10 < old_usd
),
reasons as (
    select 'plans dropped from ' || c.plans || ' to ' || s.plans as reason
    from current_counts c, staged_counts s where c.plans >= 4 and s.plans * 2 < c.plans
    union all
    select 'regions dropped from ' || c.regions || ' to ' || s.regions
    from current_counts c, staged_counts s where c.regions >= 4 and s.regions * 2 < c.regions
    union all
    select 'the region list is empty (was ' || c.regions || ')'
    from current_counts c, staged_counts s where c.regions > 0 and s.regions = 0
    union all
    select 'the operating system list is empty (was ' || c.os || ')'
    from current_counts c, staged_counts s where c.os > 0 and s.os = 0
    union all
    select 'the bare-metal plan list is empty (was ' || c.metal_plans || ')'
    from current_counts c, staged_counts s where c.metal_plans > 0 and s.metal_plans = 0
    union all
    select s.new_regions || ' new regions at once (more than ' || greatest(8, c.regions // 2) || ')'
    from current_counts c, staged_counts s where s.new_regions > greatest(8, c.regions // 2)
    union all
    select 'every plan price is zero or missing'
    from staged_counts s where s.plans > 0 and s.priced_plans = 0
    union all
    select 'availability is empty in every region (was ' || c.in_stock || ' plan-region pairs)'
    from current_counts c, staged_counts s where c.in_stock > 0 and s.in_stock = 0
    union all
    select count(*) || ' plan price(s) ' || kind || ': '
        || string_agg(plan_id || ' ' || old_usd || ' -> ' || coalesce(cast(new_usd as varchar), 'none'), ', '
                      order by plan_id)
    from bad_prices
    group by kind
),
final as (
    select reason from reasons
)
select * from final
