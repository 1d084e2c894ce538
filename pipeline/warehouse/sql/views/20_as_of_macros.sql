-- grain: table macros returning the catalog as of a moment ts (one row per plan / in-stock pair / region /
-- offered pair / offered pair's price), by the as-of rule is_valid_at (pipeline/rules.sql)
create or replace macro plans_at(ts) as table
    with final as (
        select * exclude (valid_from, valid_to), valid_from, valid_to
        from plans_history
        where is_valid_at(valid_from, valid_to, ts)
    )
    select * from final;
create or replace macro availability_at(ts) as table
    with final as (
        select region_id, plan_id, valid_from as in_stock_since
        from availability_history
        where is_valid_at(valid_from, valid_to, ts)
    )
    select * from final;
create or replace macro regions_at(ts) as table
    with final as (
        select * from regions_history where is_valid_at(valid_from, valid_to, ts)
    )
    select * from final;
create or replace macro plan_locations_at(ts) as table
    with final as (
        select plan_id, region_id from plan_locations_history where is_valid_at(valid_from, valid_to, ts)
    )
    select * from final;
create or replace macro plan_prices_at(ts) as table
    -- the price of each pair offered at ts (the plan_prices view is this as of the end of time)
    with offered as (
        select plan_id, region_id from plan_locations_history where is_valid_at(valid_from, valid_to, ts)
    ),
    base as (
        select plan_id, monthly_cost_usd, hourly_cost_usd, monthly_cost_preemptible_usd, hourly_cost_preemptible_usd
        from plans_history where is_valid_at(valid_from, valid_to, ts)
    ),
    regional as (
        select * from plan_prices_history where is_valid_at(valid_from, valid_to, ts)
    ),
    final as (
        select
            o.plan_id,
            o.region_id,
            unnest(regional_prices(r, b)),
            r.plan_id is not null as is_regional_price
        from offered o
        join base b using (plan_id)
        left join regional r using (plan_id, region_id)
    )
    select * from final;
