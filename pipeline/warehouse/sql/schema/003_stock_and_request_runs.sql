-- grain: snapshot kinds (full | stock) and the compact request log (one row per run of identical
-- answers to one request), replacing the per-call _requests table; applied once by the migrations registry
alter table snapshots add column kind varchar not null default 'full';  -- full | stock (availability only)

-- A run: consecutive snapshots (in snapshot_id order, no snapshot skipped) that made the same request
-- (endpoint, path, params) and got the same answer (status, body). A snapshot made a request with a
-- body iff a run of it covers the snapshot: first_snapshot_id <= snapshot_id <= last_snapshot_id.
create table if not exists _request_runs (
    endpoint varchar not null,
    path varchar not null,
    params varchar not null,              -- json object of query parameters
    status integer not null,
    body_id integer not null,
    size_bytes integer not null,
    first_snapshot_id integer not null,
    last_snapshot_id integer not null,
    seen_count integer not null,          -- snapshots in the run
    first_requested_at timestamptz not null,
    last_requested_at timestamptz not null
);

insert into _request_runs
with ordered_snapshots as (
    select snapshot_id, row_number() over (order by snapshot_id) as position from snapshots
),
calls as (
    select r.*, s.position
    from _requests r
    join ordered_snapshots s using (snapshot_id)
),
islands as (
    select
        *,
        position - row_number() over (
            partition by endpoint, path, params, status, body_id order by position, seq
        ) as island
    from calls
),
final as (
    select
        endpoint, path, params, status, body_id, any_value(size_bytes) as size_bytes,
        min(snapshot_id) as first_snapshot_id, max(snapshot_id) as last_snapshot_id,
        count(*) as seen_count, min(requested_at) as first_requested_at, max(requested_at) as last_requested_at
    from islands
    group by endpoint, path, params, status, body_id, island
    order by first_snapshot_id, endpoint, path, params
)
select * from final;

drop table _requests;

-- The bodies the current history was derived from, per request: a snapshot whose bodies equal these
-- (for the endpoints it asked) changes nothing and is not applied. Written with history, in its
-- transaction; rebuild re-derives it.
create table if not exists _applied_bodies (
    endpoint varchar not null,
    path varchar not null,
    params varchar not null,
    body_id integer not null
);

insert into _applied_bodies
select endpoint, path, params, body_id
from _request_runs
where status = 200
  and last_snapshot_id >= (select max(snapshot_id) from snapshots where status = 'ok')
  and first_snapshot_id <= (select max(snapshot_id) from snapshots where status = 'ok');
