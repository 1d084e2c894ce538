-- grain: the 2026 catalog: typed plan columns, change-tracked regional prices, API fields seen (schema drift)
alter table plans_history add column monthly_cost_preemptible_usd decimal(18, 6);
alter table plans_history add column hourly_cost_preemptible_usd decimal(18, 6);
alter table plans_history add column is_deployable_ondemand boolean;
alter table plans_history add column is_deployable_preemptible boolean;
alter table plans_history add column invoice_type varchar;
alter table plans_history add column storage_type varchar;
alter table plans_history add column vcpu_type varchar;
alter table plans_history add column is_clusterable boolean;
alter table plans_history add column cpu_mhz integer;
alter table plans_history add column cpu_core_count integer;
alter table plans_history add column physical_cpu_count integer;
alter table plans_history add column has_gpu boolean;
alter table plans_history add column gpu_brand varchar;
alter table plans_history add column gpu_type varchar;
alter table plans_history add column gpu_count decimal(18, 6);     -- "1/4" of a GPU is 0.25
alter table plans_history add column gpu_vram_gb integer;

-- a plan's price in one region where it differs from the base price (v2 plans[].location_cost)
create table if not exists plan_prices_history (
    plan_id varchar not null,
    region_id varchar not null,
    monthly_cost_usd decimal(18, 6),
    hourly_cost_usd decimal(18, 6),
    monthly_cost_preemptible_usd decimal(18, 6),
    hourly_cost_preemptible_usd decimal(18, 6),
    valid_from timestamptz not null,
    valid_to timestamptz
);

-- every field name the API has sent on a plan / bare-metal plan / region object, and since when
create table if not exists api_fields (
    entity varchar not null,              -- plan | plan_metal | region
    field varchar not null,
    first_snapshot_id integer not null,
    first_seen_at timestamptz not null
);
