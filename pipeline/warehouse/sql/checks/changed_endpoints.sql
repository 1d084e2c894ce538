-- grain: one row per endpoint whose bodies differ from the previous applied snapshot's
-- (bound: snapshot_id x3); no previous applied snapshot -> no rows (the caller applies everything)
with previous as (
    select max(snapshot_id) as snapshot_id
    from snapshots
    where status = 'ok' and snapshot_id < ?
),
bodies as (
    select r.snapshot_id, r.endpoint, r.path, r.params, r.body_id
    from _requests r
    where r.status = 200 and (r.snapshot_id = ? or r.snapshot_id = (select snapshot_id from previous))
),
this_snapshot as (
    select endpoint, path, params, body_id from bodies where snapshot_id = ?
),
previous_snapshot as (
    select endpoint, path, params, body_id from bodies where snapshot_id = (select snapshot_id from previous)
),
differences as (
    (select * from this_snapshot except select * from previous_snapshot)
    union all
    (select * from previous_snapshot except select * from this_snapshot)
),
final as (
    select distinct endpoint from differences
)
select * from final
