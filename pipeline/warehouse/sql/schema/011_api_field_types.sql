-- grain: api_fields records each JSON type a field is sent as (schema_drift's type changes), for every
-- endpoint read (plans, plans-metal, regions, os, availability) and one level down; regions' connectivity
alter table api_fields add column json_type varchar;   -- NUMBER, VARCHAR, BOOLEAN, OBJECT, ARRAY, NULL
alter table api_fields add column item_count integer;  -- objects that sent it so in its first snapshot
alter table regions_history add column connectivity varchar[];  -- v2 regions[].connectivity (2026)
