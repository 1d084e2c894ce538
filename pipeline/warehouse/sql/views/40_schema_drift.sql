-- grain: one row per field the API sent on a plan, bare-metal plan or region object that the model does
-- not know (it stays in raw, collection goes on), with the snapshot that first had it
create or replace view schema_drift as
with known (entity, field) as (
    select 'plan', unnest([
        'id', 'vcpu_count', 'ram', 'disk', 'disk_type', 'disk_count', 'bandwidth', 'monthly_cost', 'hourly_cost',
        'monthly_cost_preemptible', 'hourly_cost_preemptible', 'invoice_type', 'type', 'locations', 'cpu_vendor',
        'storage_type', 'vcpu_type', 'clusterable', 'deploy_ondemand', 'deploy_preemptible', 'location_cost',
        'gpu_brand', 'gpu_vram_gb', 'gpu_type', 'gpu_count'])
    union all
    select 'plan_metal', unnest([
        'id', 'physical_cpus', 'cpu_count', 'cpu_cores', 'cpu_threads', 'cpu_manufacturer', 'cpu_model', 'cpu_mhz',
        'ram', 'disk', 'disk_count', 'bandwidth', 'monthly_cost', 'hourly_cost', 'monthly_cost_preemptible',
        'hourly_cost_preemptible', 'invoice_type', 'type', 'deploy_ondemand', 'deploy_preemptible', 'locations',
        'location_cost', 'gpu_brand', 'gpu_vram_gb', 'gpu_type', 'gpu_count'])
    union all
    select 'region', unnest(['id', 'city', 'country', 'continent', 'options'])
),
final as (
    select a.entity, a.field, a.first_snapshot_id, a.first_seen_at
    from api_fields a
    anti join known k on k.entity = a.entity and k.field = a.field
)
select * from final;
