-- grain: one row: the newest ok snapshot and the span of the history
with ok as (
    select * from snapshots where status = 'ok'
),
newest as (
    select snapshot_id, started_at from ok order by started_at desc, snapshot_id desc limit 1
),
totals as (
    select count(*) as snapshot_count, min(started_at) as first_at,
           coalesce(bool_or(is_simulated), false) as is_demo
    from ok
),
final as (
    select newest.snapshot_id as last_ok_snapshot_id, newest.started_at as last_ok_at,
           totals.snapshot_count, totals.is_demo, totals.first_at
    from totals left join newest on true
)
select * from final
