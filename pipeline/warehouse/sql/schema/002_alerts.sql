-- grain: alert delivery state in the private warehouse (written only by the lock holder)
-- alert_cursor: one row, the last snapshot whose catalog_changes were matched against the rules
create table if not exists alert_cursor (
    cursor_id integer primary key,        -- always 1
    last_snapshot_id integer not null,
    updated_at timestamptz not null
);

-- alert_outbox: one row per (rule, change, channel); a row is pending until delivered_at or abandoned_at
create table if not exists alert_outbox (
    alert_id varchar not null,            -- stable hash of (rule, change): receivers can de-duplicate
    channel varchar not null,             -- webhook | log
    rule_name varchar not null,
    snapshot_id integer not null,
    change_key varchar not null,
    target varchar,                       -- the webhook URL (null for log)
    payload varchar not null,             -- the JSON body, fixed when the alert was matched
    created_at timestamptz not null,
    attempt_count integer not null default 0,
    next_attempt_at timestamptz not null,
    delivered_at timestamptz,
    abandoned_at timestamptz,
    last_error varchar,
    primary key (alert_id, channel)
);
