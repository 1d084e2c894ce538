-- grain: one row per reason a staged stock poll looks implausible next to the current catalog. A stock
-- poll stages only availability; its plans, regions and operating systems are the current ones, so
-- of the full gate (anomalies.sql) only these two reasons can apply to it. Bound: regions (null = the
-- poll staged every region; else only these, and the others' current availability is unchanged).
with current_counts as (
    select
        (select count(*) from availability_history where valid_to is null) as in_stock,
        (select count(*) from plans_history where valid_to is null) as plans,
        (select count(*) from plans_history where valid_to is null and monthly_cost_usd > 0) as priced_plans
),
staged_counts as (
    select
        (select count(*) from stg_availability)
        + (select count(*) from availability_history
           where valid_to is null and cast($regions as varchar[]) is not null
             and not list_contains(cast($regions as varchar[]), region_id)) as in_stock
),
reasons as (
    select 'every plan price is zero or missing' as reason
    from current_counts c where c.plans > 0 and c.priced_plans = 0
    union all
    select 'availability is empty in every region (was ' || c.in_stock || ' plan-region pairs)'
    from current_counts c, staged_counts s where c.in_stock > 0 and s.in_stock = 0
),
final as (
    select reason from reasons
)
select * from final
