-- grain: one row per (plan, region, interval) over which the plan, the region, the region's price
-- override and whether the plan is offered there all stay the same, for every pair ever offered or in
-- stock, where the plan exists, the region exists and the plan can be bought on demand (is_on_demand).
-- Stock is not in it (queries/sql/cheapest.sql joins availability_history as of the moment): with it,
-- every stock flip would be a row, ~35x as many rows to write at each publish.
-- Private (underscore: neither exported nor a contract), built at each publish for `cheapest` (and, on a
-- catalog published before it existed, on the reader's connection: pipeline.sql.build_derived): one scan
-- of this table plans in a fraction of the time of the as-of macros. Its columns are cheapest's, in
-- cheapest's order, written here only: is_in_stock is a placeholder (NULL) that cheapest replaces with the
-- stock of the moment; is_offered, valid_from and valid_to are cheapest's filters, not its columns.
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
    -- the versions that hold at each interval's start, at the region's price
    select
        i.plan_id, i.region_id, i.valid_from, i.valid_to,
        p.* exclude (plan_id, monthly_cost_usd, hourly_cost_usd, monthly_cost_preemptible_usd,
                     hourly_cost_preemptible_usd, valid_from, valid_to),
        unnest(regional_prices(o, p)),
        p.monthly_cost_usd as base_monthly_cost_usd,
        o.plan_id is not null as is_regional_price,
        l.plan_id is not null as is_offered,
        r.city, r.country, r.continent
    from intervals i
    join plans_history p on p.plan_id = i.plan_id and is_valid_at(p.valid_from, p.valid_to, i.valid_from)
    join regions_history r on r.region_id = i.region_id and is_valid_at(r.valid_from, r.valid_to, i.valid_from)
    left join plan_locations_history l on l.plan_id = i.plan_id and l.region_id = i.region_id
        and is_valid_at(l.valid_from, l.valid_to, i.valid_from)
    left join plan_prices_history o on o.plan_id = i.plan_id and o.region_id = i.region_id
        and is_valid_at(o.valid_from, o.valid_to, i.valid_from)
    where is_on_demand(p.is_deployable_ondemand, p.is_for_sale)
),
final as (
    -- cheapest's columns, in its order
    select
        plan_id, plan_type, vcpu_count, ram_mb, disk_gb, disk_count, bandwidth_gb,
        monthly_cost_usd, hourly_cost_usd, region_id, cast(null as boolean) as is_in_stock, is_bare_metal,
        cast(monthly_cost_usd / nullif(vcpu_count, 0) as decimal(18, 4)) as monthly_cost_per_vcpu_usd,
        cast(monthly_cost_usd * 1024 / nullif(ram_mb, 0) as decimal(18, 4)) as monthly_cost_per_gb_ram_usd,
        is_regional_price, base_monthly_cost_usd, monthly_cost_preemptible_usd, hourly_cost_preemptible_usd,
        is_deployable_preemptible, invoice_type, cpu_vendor, cpu_model, gpu_type, gpu_count, gpu_vram_gb,
        city, country, continent, cpu_allocation, gpu_source,
        is_offered, valid_from, valid_to
    from priced
)
select * from final
