-- grain: one row per snapshot whose history stands (the _applied_snapshots view: ok, or failed only
-- at publishing), in order; must_replay: rebuild must look at it. The others only repeated the
-- previous snapshot's answers (every request extended a run) after one whose history stands, so they
-- cannot differ from the answers already applied: skipping them is what collecting did, unless a
-- region was held as suspect (rebuild.apply_replayed looks at the next one then: it judges the hold).
with ordered as (
    select
        s.snapshot_id, s.api_version, s.kind, s.started_at,
        a.snapshot_id is not null as has_history
    from snapshots s
    left join _applied_snapshots a using (snapshot_id)
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
    select
        snapshot_id, api_version, kind, started_at,
        previous_has_history is distinct from true
            or snapshot_id in (select snapshot_id from run_starts) as must_replay
    from flagged
    where has_history
    order by snapshot_id
)
select * from final
