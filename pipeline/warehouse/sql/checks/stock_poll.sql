-- grain: one row: what a staged stock poll does to the catalog, in one statement (a minute cadence
-- pays for every statement, and more for every join): the availability changes in the polled
-- regions, the pairs dropped for naming a plan absent from the catalog, and the quality gate's
-- reasons to reject the poll. A stock poll stages only availability (stg_availability); its plans,
-- regions and operating systems are the current ones, so of the full gate (anomalies.sql) only two
-- reasons can apply to it. Bound: regions (null = the poll staged every region; else only these,
-- and the others' current availability is unchanged).
with in_stock as (
    select
        region_id,
        plan_id,
        cast($regions as varchar[]) is null
            or region_id in (select unnest(cast($regions as varchar[]))) as is_polled
    from availability_history
    where valid_to is null
),
current_plans as (
    select plan_id, monthly_cost_usd from plans_history where valid_to is null
),
staged as (
    -- a region unknown to the catalog is left to the next full collection (not reported); a plan
    -- unknown to it is dropped and reported (never shown as in stock)
    select
        stg.region_id,
        stg.plan_id,
        plans.plan_id is not null or stg.plan_id is null as is_known_plan
    from stg_availability stg
    left join regions_history regions on regions.region_id = stg.region_id and regions.valid_to is null
    left join current_plans plans on plans.plan_id = stg.plan_id
    where regions.region_id is not null or stg.region_id is null
),
pairs as (
    -- each staged pair beside the current one it matches in the polled regions
    select
        coalesce(kept.region_id, now.region_id) as region_id,
        coalesce(kept.plan_id, now.plan_id) as plan_id,
        kept.plan_id is not null as is_staged,
        now.plan_id is not null as is_in_stock
    from (select * from staged where is_known_plan) kept
    full join (select * from in_stock where is_polled) now
        on now.region_id = kept.region_id and now.plan_id = kept.plan_id
),
counts as (
    select
        stock.pairs as in_stock,
        stock.unpolled_pairs + kept.pairs as staged_in_stock,
        plans.plans,
        plans.priced_plans
    from (select count(*) as pairs, count(*) filter (where not is_polled) as unpolled_pairs from in_stock) stock,
        (select count(*) as pairs from staged where is_known_plan) kept,
        (select count(*) as plans, count(*) filter (where monthly_cost_usd > 0) as priced_plans from current_plans) plans
),
reasons as (
    select 'every plan price is zero or missing' as reason
    from counts where plans > 0 and priced_plans = 0
    union all
    select 'availability is empty in every region (was ' || in_stock || ' plan-region pairs)'
    from counts where in_stock > 0 and staged_in_stock = 0
),
final as (
    select
        (select list((case when is_staged then 'added' else 'removed' end, region_id, plan_id))
         from pairs where is_staged <> is_in_stock) as changes,
        (select list(plan_id) from staged where not is_known_plan) as dropped_plans,
        (select list(reason) from reasons) as reasons
)
select * from final
