-- grain: one row per (plan, region) ever offered or in stock up to as_of_ts: its stock outlook over the
-- window_days before as_of_ts (NULL as_of_ts: the latest applied snapshot). A sell-out runs from the end of
-- one in-stock interval to the start of the next; the window's statistics count the sell-outs that ended
-- (restocked) in it. Under 3 of them the durations are NULL ("too few to say"), never a number.
create or replace macro stock_outlook_at(as_of_ts, window_days) as table
    with applied as (
        select max(started_at) as latest_at, min(started_at) as history_start_at
        from snapshots
        where status = 'ok'
    ),
    history_bounds as (
        select coalesce(cast(as_of_ts as timestamptz), latest_at) as as_of_at, history_start_at
        from applied
    ),
    bounds as (
        select as_of_at,
               greatest(history_start_at, as_of_at - to_days(cast(window_days as integer))) as window_start_at,
               cast(window_days as integer) as window_days
        from history_bounds
    ),
    intervals as (
        -- in-stock intervals as known at as_of_at (a later end is not known yet)
        select a.region_id, a.plan_id, a.valid_from,
               case when a.valid_to <= b.as_of_at then a.valid_to end as valid_to
        from availability_history a, bounds b
        where a.valid_from <= b.as_of_at
    ),
    sell_outs as (
        select *, epoch(restocked_at) - epoch(sold_out_at) as duration_s
        from (
            select region_id, plan_id, valid_to as sold_out_at,
                   lead(valid_from) over (partition by region_id, plan_id order by valid_from) as restocked_at
            from intervals
        )
        where sold_out_at is not null
    ),
    window_sell_outs as (
        select s.region_id, s.plan_id,
               count(*) as sell_out_count,
               quantile_cont(s.duration_s, 0.5) as median_s,
               quantile_cont(s.duration_s, 0.9) as p90_s,
               max(s.duration_s) as longest_s
        from sell_outs s, bounds b
        where s.restocked_at > b.window_start_at
        group by s.region_id, s.plan_id
    ),
    latest_sell_outs as (
        select region_id, plan_id,
               max(restocked_at) as last_restocked_at,
               arg_max(duration_s, restocked_at) as last_sell_out_s,
               max(sold_out_at) filter (where restocked_at is null) as sold_out_since_at
        from sell_outs
        group by region_id, plan_id
    ),
    in_stock as (
        select i.region_id, i.plan_id,
               bool_or(i.valid_to is null) as is_in_stock,
               sum(greatest(0, epoch(coalesce(i.valid_to, b.as_of_at)) - epoch(greatest(i.valid_from, b.window_start_at))))
                   as window_in_stock_s
        from intervals i, bounds b
        group by i.region_id, i.plan_id
    ),
    pairs as (
        select region_id, plan_id from intervals
        union
        select l.region_id, l.plan_id from plan_locations_history l, bounds b where l.valid_from <= b.as_of_at
    ),
    final as (
        select
            p.plan_id,
            p.region_id,
            b.window_days,
            b.window_start_at,
            b.as_of_at,
            coalesce(s.is_in_stock, false) as is_in_stock,
            coalesce(w.sell_out_count, 0) as sell_out_count,
            coalesce(w.sell_out_count, 0) >= 3 as has_enough_sell_outs,
            case when w.sell_out_count >= 3 then cast(round(w.median_s) as bigint) end as median_sell_out_s,
            case when w.sell_out_count >= 3 then cast(round(w.p90_s) as bigint) end as p90_sell_out_s,
            case when w.sell_out_count >= 3 then cast(round(w.longest_s) as bigint) end as longest_sell_out_s,
            round(coalesce(s.window_in_stock_s, 0)
                  / nullif(epoch(b.as_of_at) - epoch(b.window_start_at), 0), 4) as in_stock_share,
            l.sold_out_since_at,
            cast(round(epoch(b.as_of_at) - epoch(l.sold_out_since_at)) as bigint) as sold_out_for_s,
            l.last_restocked_at,
            cast(round(l.last_sell_out_s) as bigint) as last_sell_out_s
        from pairs p
        cross join bounds b
        left join in_stock s using (region_id, plan_id)
        left join window_sell_outs w using (region_id, plan_id)
        left join latest_sell_outs l using (region_id, plan_id)
    )
    select * from final;
