-- grain: one row per (plan, region, interval) over which the plan, the region, the region's price
-- override and whether the plan is offered there all stay the same, for every pair ever offered or in
-- stock, where the plan exists, the region exists and the plan is deployable on demand (NULL = older
-- API: yes). Stock is not in it (queries/sql/cheapest.sql joins availability_history as of the moment):
-- with it, every stock flip would be a row, ~35x as many rows to write at each publish.
-- Private (underscore: neither exported nor a contract), built at each publish for `cheapest`: one scan of
-- this table plans in a fraction of the time of the as-of macros it replaces there, and answers the same
-- (the columns are cheapest's, computed as in queries/sql/cheapest_as_of_macros.sql).
create or replace table _offers_history as
with pairs as (
    select plan_id, region_id from plan_locations_history
    union
    select plan_id, region_id from availability_history
),
edges as (
    -- every moment at which something this table reads can change for the pair
    select distinct plan_id, region_id, edge_at from (
        select plan_id, region_id, valid_from as edge_at from plan_locations_history
        union all select plan_id, region_id, valid_to from plan_locations_history
        union all select plan_id, region_id, valid_from from plan_prices_history
        union all select plan_id, region_id, valid_to from plan_prices_history
        union all select p.plan_id, p.region_id, h.valid_from from pairs p join plans_history h using (plan_id)
        union all select p.plan_id, p.region_id, h.valid_to from pairs p join plans_history h using (plan_id)
        union all select p.plan_id, p.region_id, r.valid_from from pairs p join regions_history r using (region_id)
        union all select p.plan_id, p.region_id, r.valid_to from pairs p join regions_history r using (region_id)
    )
    where edge_at is not null
),
intervals as (
    -- constant between two edges: the state at valid_from is the state until valid_to
    select plan_id, region_id, edge_at as valid_from,
           lead(edge_at) over (partition by plan_id, region_id order by edge_at) as valid_to
    from edges
),
priced as (
    -- the rules of plan_prices_at / cheapest_as_of_macros.sql, as of each interval's start
    select
        p.plan_id, p.plan_type, p.vcpu_count, p.ram_mb, p.disk_gb, p.disk_count, p.bandwidth_gb,
        coalesce(o.monthly_cost_usd, p.monthly_cost_usd) as monthly_cost_usd,
        -- an override's monthly price without its hourly one has no known hourly price (never the base's)
        case when o.hourly_cost_usd is not null then o.hourly_cost_usd
             when o.monthly_cost_usd is null then p.hourly_cost_usd end as hourly_cost_usd,
        i.region_id, l.plan_id is not null as is_offered, p.is_bare_metal,
        o.plan_id is not null as is_regional_price,
        p.monthly_cost_usd as base_monthly_cost_usd,
        case when o.monthly_cost_preemptible_usd is not null then o.monthly_cost_preemptible_usd
             when o.monthly_cost_usd is null then p.monthly_cost_preemptible_usd end as monthly_cost_preemptible_usd,
        case when o.hourly_cost_preemptible_usd is not null then o.hourly_cost_preemptible_usd
             when o.monthly_cost_usd is null then p.hourly_cost_preemptible_usd end as hourly_cost_preemptible_usd,
        p.is_deployable_preemptible, p.invoice_type, p.cpu_vendor, p.cpu_model,
        p.gpu_type, p.gpu_count, p.gpu_vram_gb,
        r.city, r.country, r.continent,
        p.cpu_allocation, p.gpu_source, p.has_gpu,
        i.valid_from, i.valid_to
    from intervals i
    join plans_history p on p.plan_id = i.plan_id
        and p.valid_from <= i.valid_from and (p.valid_to is null or p.valid_to > i.valid_from)
    join regions_history r on r.region_id = i.region_id
        and r.valid_from <= i.valid_from and (r.valid_to is null or r.valid_to > i.valid_from)
    left join plan_locations_history l on l.plan_id = i.plan_id and l.region_id = i.region_id
        and l.valid_from <= i.valid_from and (l.valid_to is null or l.valid_to > i.valid_from)
    left join plan_prices_history o on o.plan_id = i.plan_id and o.region_id = i.region_id
        and o.valid_from <= i.valid_from and (o.valid_to is null or o.valid_to > i.valid_from)
    -- a preemptible-only plan cannot be bought on demand, a free plan (price 0) is not for sale: never an
    -- on-demand answer
    where coalesce(p.is_deployable_ondemand, true) and coalesce(p.is_for_sale, true)
),
final as (
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, region_id, is_offered, is_bare_metal,
        cast(monthly_cost_usd / nullif(vcpu_count, 0) as decimal(18, 4)) as monthly_cost_per_vcpu_usd,
        cast(monthly_cost_usd * 1024 / nullif(ram_mb, 0) as decimal(18, 4)) as monthly_cost_per_gb_ram_usd,
        is_regional_price, base_monthly_cost_usd, monthly_cost_preemptible_usd, hourly_cost_preemptible_usd,
        is_deployable_preemptible, invoice_type, cpu_vendor, cpu_model, gpu_type, gpu_count, gpu_vram_gb,
        city, country, continent, cpu_allocation, gpu_source, has_gpu, valid_from, valid_to
    from priced
)
select * from final
