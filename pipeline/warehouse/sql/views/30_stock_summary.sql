-- grain: one row per (region, plan) ever offered or in stock; stock facts as of the latest applied snapshot
create or replace view stock_summary as
with applied as (
    select started_at from snapshots where status = 'ok'
),
bounds as (
    select max(started_at) as latest_at,
           greatest(min(started_at), max(started_at) - interval 30 day) as window_start_at
    from applied
),
pairs as (
    select region_id, plan_id from availability_history
    union
    select region_id, plan_id from plan_locations_history
),
intervals as (
    select a.region_id, a.plan_id, a.valid_from, a.valid_to,
           -- the last snapshot that still saw the pair in stock
           coalesce(seen.started_at, b.latest_at) as last_seen_at,
           -- overlap of the in-stock interval with the 30-day window, in seconds
           greatest(0, epoch(least(coalesce(a.valid_to, b.latest_at), b.latest_at))
                       - epoch(greatest(a.valid_from, b.window_start_at))) as window_in_stock_s
    from availability_history a
    cross join bounds b
    asof left join applied seen on seen.started_at < a.valid_to
),
stock as (
    select region_id, plan_id,
           bool_or(valid_to is null) as in_stock_now,
           min(valid_from) as first_seen_at,
           max(last_seen_at) as last_seen_at,
           sum(window_in_stock_s) as window_in_stock_s
    from intervals
    group by region_id, plan_id
),
events as (
    select region_id, entity_id as plan_id,
           max(changed_at) filter (where change_type = 'added') as last_restocked_at,
           max(changed_at) filter (where change_type = 'removed') as last_sold_out_at
    from catalog_changes
    where entity = 'availability'
    group by region_id, entity_id
),
final as (
    select
        pairs.region_id,
        pairs.plan_id,
        coalesce(stock.in_stock_now, false) as in_stock_now,
        stock.first_seen_at,
        stock.last_seen_at,
        round(coalesce(stock.window_in_stock_s, 0)
              / nullif(epoch(b.latest_at) - epoch(b.window_start_at), 0), 4) as in_stock_ratio_30d,
        events.last_restocked_at,
        events.last_sold_out_at
    from pairs
    cross join bounds b
    left join stock using (region_id, plan_id)
    left join events using (region_id, plan_id)
)
select * from final;
