-- grain: one row per price version of a plan (consecutive versions with equal prices merged): its base
-- price ($region_id '' ), or its effective price in one region (the region's override, else the base price,
-- while the region offers it: _offers_history, built at each publish)
-- (bound by name: plan_id, region_id)
with versions as (
    select valid_from, valid_to, monthly_cost_usd, hourly_cost_usd
    from plans_history
    where plan_id = $plan_id and $region_id = ''
    union all
    select valid_from, valid_to, monthly_cost_usd, hourly_cost_usd
    from _offers_history
    where plan_id = $plan_id and region_id = $region_id and is_offered
),
flagged as (
    select *,
        case when lag(monthly_cost_usd) over w is not distinct from monthly_cost_usd
              and lag(hourly_cost_usd) over w is not distinct from hourly_cost_usd
              and lag(valid_to) over w = valid_from
             then 0 else 1 end as is_new_price
    from versions
    window w as (order by valid_from)
),
grouped as (
    select *, sum(is_new_price) over (order by valid_from) as price_version
    from flagged
),
final as (
    select
        min(valid_from) as valid_from,
        case when bool_or(valid_to is null) then null else max(valid_to) end as valid_to,
        any_value(monthly_cost_usd) as monthly_cost_usd,
        any_value(hourly_cost_usd) as hourly_cost_usd
    from grouped
    group by price_version
)
select * from final
order by valid_from
