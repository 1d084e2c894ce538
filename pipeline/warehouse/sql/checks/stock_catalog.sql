-- grain: one row per current plan (kind 'plan': is it priced) and per current region (kind 'region':
-- its v1 DCID): what a stock poll's answers are tidied and gated against, in one statement.
with plans as (
    select 'plan' as kind, plan_id as id, coalesce(monthly_cost_usd > 0, false) as is_priced, cast(null as varchar) as dcid
    from plans_history
    where valid_to is null
),
regions as (
    select 'region' as kind, region_id as id, cast(null as boolean) as is_priced, dcid
    from regions_history
    where valid_to is null
),
final as (
    select * from plans
    union all
    select * from regions
)
select * from final
