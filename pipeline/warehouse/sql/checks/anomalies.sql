-- grain: one row per reason the staged snapshot looks implausible next to the current catalog
with current_counts as (
    select
        (select count(*) from plans_history where valid_to is null) as plans,
        (select count(*) from regions_history where valid_to is null) as regions,
        (select count(*) from availability_history where valid_to is null) as in_stock
),
staged_counts as (
    select
        (select count(*) from stg_plans) as plans,
        (select count(*) from stg_regions) as regions,
        (select count(*) from stg_availability) as in_stock,
        (select count(*) from stg_plans where monthly_cost_usd > 0) as priced_plans
),
reasons as (
    select 'plans dropped from ' || c.plans || ' to ' || s.plans as reason
    from current_counts c, staged_counts s where c.plans >= 4 and s.plans * 2 < c.plans
    union all
    select 'regions dropped from ' || c.regions || ' to ' || s.regions
    from current_counts c, staged_counts s where c.regions >= 4 and s.regions * 2 < c.regions
    union all
    select 'every plan price is zero or missing'
    from staged_counts s where s.plans > 0 and s.priced_plans = 0
    union all
    select 'availability is empty in every region (was ' || c.in_stock || ' plan-region pairs)'
    from current_counts c, staged_counts s where c.in_stock > 0 and s.in_stock = 0
),
final as (
    select reason from reasons
)
select * from final
