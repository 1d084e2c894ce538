-- grain: one row per hold: a region whose in-stock list went from at least 5 plans to none in one
-- poll, held as suspect (its availability not applied, no change recorded, so no alert) until the next
-- snapshot that answers for it confirms the sell-out (applied then) or lists plans again (a glitch,
-- nothing applied); applied once by the migrations registry
create table if not exists availability_holds (
    region_id varchar not null,
    plan_count integer not null,          -- plans in stock before the empty answer
    held_snapshot_id integer not null,
    held_at timestamptz not null,
    resolved_snapshot_id integer,         -- null: held now
    resolved_at timestamptz,
    outcome varchar                       -- confirmed | recovered
);
