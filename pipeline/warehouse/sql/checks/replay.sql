-- grain: one row per snapshot whose history stands that rebuild must look at, in order. A snapshot's
-- history stands when it is ok, or when it failed only at publishing, after the commit that applied
-- it (that commit is what sets content_hash; pipeline.status.history_stands). The others it skips
-- only repeated the previous snapshot's answers (every request extended a run) after one whose
-- history stands, so they cannot differ from the answers already applied: skipping them is what
-- collecting did.
with ordered as (
    select
        snapshot_id, api_version, kind, started_at,
        status = 'ok' or (status = 'failed' and content_hash is not null) as has_history
    from snapshots
),
flagged as (
    select
        *,
        lag(has_history) over (order by snapshot_id) as previous_has_history
    from ordered
),
run_starts as (
    select distinct first_snapshot_id as snapshot_id from _request_runs
),
final as (
    select snapshot_id, api_version, kind, started_at
    from flagged
    where has_history
      and (previous_has_history is distinct from true or snapshot_id in (select snapshot_id from run_starts))
    order by snapshot_id
)
select * from final
