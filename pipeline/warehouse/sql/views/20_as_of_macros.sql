-- grain: table macros returning the catalog as of a moment ts (one row per plan / in-stock pair / region)
create or replace macro plans_at(ts) as table
    with final as (
        select * exclude (valid_from, valid_to), valid_from, valid_to
        from plans_history
        where valid_from <= ts and (valid_to is null or valid_to > ts)
    )
    select * from final;
create or replace macro availability_at(ts) as table
    with final as (
        select region_id, plan_id, valid_from as in_stock_since
        from availability_history
        where valid_from <= ts and (valid_to is null or valid_to > ts)
    )
    select * from final;
create or replace macro regions_at(ts) as table
    with final as (
        select * from regions_history where valid_from <= ts and (valid_to is null or valid_to > ts)
    )
    select * from final;
create or replace macro plan_locations_at(ts) as table
    with final as (
        select plan_id, region_id from plan_locations_history
        where valid_from <= ts and (valid_to is null or valid_to > ts)
    )
    select * from final;
