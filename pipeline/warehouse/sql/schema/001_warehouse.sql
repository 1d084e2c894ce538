-- grain: the private warehouse's tables (meta, raw, history); applied once by the migrations registry
create sequence if not exists snapshot_ids start 1;

create table if not exists snapshots (
    snapshot_id integer primary key,
    api_version varchar not null,
    base_url varchar not null,
    started_at timestamptz not null,      -- the observation time (simulated with --at)
    finished_at timestamptz,
    status varchar not null,              -- running | ok | failed | rejected
    error varchar,
    request_count integer,
    is_baseline boolean not null default false,
    is_simulated boolean not null default false,
    has_accepted_anomalies boolean not null default false,
    content_hash varchar,                 -- hash of the snapshot's body hashes: equal = unchanged
    change_count integer
);

-- raw layer: append-only; bodies are content-addressed, byte-exact, zlib-compressed with the
-- previous body of the same request as preset dictionary (see pipeline/rawstore.py)
create table if not exists raw_bodies (
    body_id integer not null,             -- referenced by _requests (cheaper than the hash)
    body_hash varchar not null,           -- sha256 of the uncompressed body: the content address
    body_zlib blob not null,
    size_bytes integer not null,
    first_seen_at timestamptz not null,
    base_id integer,                      -- the zdict body; null = self-contained
    chain_depth integer not null          -- bodies to decode before this one
);

create table if not exists _requests (
    snapshot_id integer not null,
    seq integer not null,
    endpoint varchar not null,
    path varchar not null,
    params varchar not null,              -- json object of query parameters
    status integer not null,
    size_bytes integer not null,
    elapsed_ms double,
    body_id integer not null,
    requested_at timestamptz not null
);

create table if not exists regions_history (
    region_id varchar not null,
    city varchar,
    country varchar,
    continent varchar,
    options varchar[],
    state varchar,
    dcid varchar,
    valid_from timestamptz not null,
    valid_to timestamptz
);

create table if not exists plans_history (
    plan_id varchar not null,
    plan_type varchar,
    vcpu_count integer,
    ram_mb integer,
    disk_gb integer,
    disk_count integer,
    bandwidth_gb integer,
    monthly_cost_usd decimal(18, 6),
    hourly_cost_usd decimal(18, 6),
    is_bare_metal boolean,
    disk_type varchar,
    cpu_vendor varchar,
    cpu_model varchar,
    cpu_threads integer,
    plan_name varchar,
    valid_from timestamptz not null,
    valid_to timestamptz
);

create table if not exists operating_systems_history (
    os_id integer not null,
    name varchar,
    arch varchar,
    family varchar,
    is_windows boolean,
    valid_from timestamptz not null,
    valid_to timestamptz
);

create table if not exists plan_locations_history (
    plan_id varchar not null,
    region_id varchar not null,
    valid_from timestamptz not null,
    valid_to timestamptz
);

create table if not exists availability_history (
    region_id varchar not null,
    plan_id varchar not null,
    valid_from timestamptz not null,
    valid_to timestamptz
);

create table if not exists catalog_changes (
    snapshot_id integer not null,
    changed_at timestamptz not null,
    entity varchar not null,              -- region | plan | operating_system | plan_location | availability
    entity_id varchar not null,
    region_id varchar,
    change_type varchar not null,         -- added | removed | changed
    field varchar,
    old_value varchar,
    new_value varchar
);
