-- grain: one _request_runs row per call of a snapshot: an open run extended (run_rowid set: the same
-- answer as the previous snapshot's) or a new run started (run_rowid null). One statement for both
-- (a minute cadence pays for every statement). Bound: the calls as equal-length lists, snapshot_id,
-- last_at (the latest call's time: kept as every extended run's last_requested_at).
merge into _request_runs runs
using (
    select
        unnest(cast($run_rowid as bigint[])) as run_rowid,
        unnest(cast($endpoint as varchar[])) as endpoint,
        unnest(cast($path as varchar[])) as path,
        unnest(cast($params as varchar[])) as params,
        unnest(cast($status as integer[])) as status,
        unnest(cast($body_id as integer[])) as body_id,
        unnest(cast($size_bytes as integer[])) as size_bytes,
        unnest(cast($requested_at as timestamptz[])) as requested_at
) as calls
on runs.rowid = calls.run_rowid
when matched then
    update set last_snapshot_id = $snapshot_id, seen_count = runs.seen_count + 1, last_requested_at = $last_at
when not matched then
    insert (endpoint, path, params, status, body_id, size_bytes, first_snapshot_id, last_snapshot_id, seen_count,
            first_requested_at, last_requested_at)
    values (calls.endpoint, calls.path, calls.params, calls.status, calls.body_id, calls.size_bytes, $snapshot_id,
            $snapshot_id, 1, calls.requested_at, calls.requested_at)
