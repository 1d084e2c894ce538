-- grain: one row per applied (ok) snapshot that rebuild must look at, in order. The others only
-- repeated the previous snapshot's answers (every request extended a run) after an ok snapshot, so
-- they cannot differ from the answers already applied: skipping them is what collecting did.
with ordered as (
    select
        snapshot_id, api_version, kind, started_at, status,
        lag(status) over (order by snapshot_id) as previous_status
    from snapshots
),
run_starts as (
    select distinct first_snapshot_id as snapshot_id from _request_runs
),
final as (
    select snapshot_id, api_version, kind, started_at
    from ordered
    where status = 'ok'
      and (previous_status is distinct from 'ok' or snapshot_id in (select snapshot_id from run_starts))
    order by snapshot_id
)
select * from final
