-- grain: snapshots gets a CHECK on status (pipeline.status.SnapshotStatus lists the same values) and kind.
-- DuckDB cannot add a CHECK with ALTER TABLE, so the table is rebuilt with it, rows kept.
alter table snapshots rename to _snapshots_unchecked;

create table snapshots (
    snapshot_id integer primary key,
    api_version varchar not null,
    base_url varchar not null,
    started_at timestamptz not null,      -- the observation time (simulated with --at)
    finished_at timestamptz,
    status varchar not null check (status in ('running', 'ok', 'failed', 'rejected')),
    error varchar,
    request_count integer,
    is_baseline boolean not null default false,
    is_simulated boolean not null default false,
    has_accepted_anomalies boolean not null default false,
    content_hash varchar,                 -- hash of the snapshot's body hashes: equal = unchanged
    change_count integer,
    kind varchar not null default 'full' check (kind in ('full', 'stock')),  -- 003: stock = availability only
    warnings varchar                      -- 006: what staging dropped or resolved, ' | '-separated
);

insert into snapshots by name select * from _snapshots_unchecked;

drop table _snapshots_unchecked;
