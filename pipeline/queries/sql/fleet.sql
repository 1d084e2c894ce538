-- grain: one row per server of the account (fetched live by pipeline.account, registered
-- as fleet_servers, never stored), priced against the published catalog now. No parameters.
with servers as (
    select * from fleet_servers
),
overrides as (
    -- the regions' current price overrides (v2 location_cost): a plan's price in a region is the rule
    -- regional_cost, whether or not its locations name the region (as in `cheapest`)
    select plan_id, region_id, monthly_cost_usd from plan_prices_history where valid_to is null
),
priced as (
    select
        s.*,
        regional_cost(o.monthly_cost_usd, p.monthly_cost_usd, o.monthly_cost_usd) as monthly_cost_usd,
        o.plan_id is not null as is_regional_price,
        p.plan_id is null as is_plan_retired,
        exists (select 1 from availability a
                where a.region_id = s.region_id and a.plan_id = s.plan_id) as is_plan_in_stock
    from servers s
    left join plans p on p.plan_id = s.plan_id
    left join overrides o on o.plan_id = s.plan_id and o.region_id = s.region_id
),
server_plans as (
    -- each server's plan as last seen: current or retired; a plan never seen takes the CPU allocation
    -- of the current plans of its type (the id's first segment)
    select
        s.server_id, h.vcpu_count, h.has_gpu, h.gpu_vram_gb, h.is_ipv6_only,
        coalesce(h.cpu_allocation, (select min(t.cpu_allocation) from plans t
                                    where is_of_type(t.plan_type, split_part(s.plan_id, '-', 1))))
            as cpu_allocation
    from servers s
    left join plans_history h on h.plan_id = s.plan_id
    qualify row_number() over (partition by s.server_id order by h.valid_to desc nulls first) = 1
),
equivalents as (
    -- plans in stock in the server's region with at least its vCPUs, RAM and disk, same kind: never
    -- shared vCPUs for dedicated ones, never without a GPU (or with less GPU memory) for a GPU server
    select
        s.server_id, p.plan_id, regional_cost(o.monthly_cost_usd, p.monthly_cost_usd, o.monthly_cost_usd)
            as monthly_cost_usd,
        p.vcpu_count, p.ram_mb
    from servers s
    -- the server's own plan, retired ones too (its latest version); its vCPUs are threads like every
    -- plan's (a bare-metal server reports cores)
    left join server_plans sp on sp.server_id = s.server_id
    join availability a on a.region_id = s.region_id
    join plans p on p.plan_id = a.plan_id
    left join overrides o on o.plan_id = p.plan_id and o.region_id = a.region_id
    where p.is_bare_metal = s.is_bare_metal
      and is_on_demand(p.is_deployable_ondemand, p.is_for_sale)
      and (sp.cpu_allocation is distinct from 'dedicated' or p.cpu_allocation = 'dedicated')
      and (not coalesce(sp.has_gpu, false)
           or (p.has_gpu and coalesce(p.gpu_vram_gb, 0) >= coalesce(sp.gpu_vram_gb, 0)))
      -- nor an IPv6-only plan for a server with IPv4
      and (not coalesce(p.is_ipv6_only, false) or coalesce(sp.is_ipv6_only, false))
      and p.vcpu_count >= coalesce(sp.vcpu_count, s.vcpu_count, 0)
      and p.ram_mb >= coalesce(s.ram_mb, 0)
      and coalesce(p.disk_gb, 0) >= coalesce(s.disk_gb, 0)
),
ranked as (
    -- ties as in `cheapest`: more vCPUs, more RAM, then plan_id
    select *, row_number() over (partition by server_id
                                 order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id) as price_rank
    from equivalents
    where monthly_cost_usd is not null
),
cheapest as (
    select server_id, plan_id as cheapest_plan_id, monthly_cost_usd as cheapest_monthly_cost_usd
    from ranked
    where price_rank = 1
),
at_creation as (
    -- what the plan cost in its region when the server was created: v1 says it (cost_per_month);
    -- for v2 the catalog's history answers (the region's override then, else the base price then),
    -- when it reaches back that far
    select
        s.server_id,
        coalesce(s.created_monthly_cost_usd, regional_cost(r.monthly_cost_usd, h.monthly_cost_usd, r.monthly_cost_usd))
            as created_monthly_cost_usd
    from servers s
    left join plans_history h on h.plan_id = s.plan_id and is_valid_at(h.valid_from, h.valid_to, s.created_at)
    left join plan_prices_history r on r.plan_id = s.plan_id and r.region_id = s.region_id
        and is_valid_at(r.valid_from, r.valid_to, s.created_at)
),
final as (
    select
        p.server_id, p.label, p.region_id, p.plan_id, p.vcpu_count, p.ram_mb, p.disk_gb,
        p.monthly_cost_usd, c.cheapest_plan_id, c.cheapest_monthly_cost_usd,
        p.monthly_cost_usd - c.cheapest_monthly_cost_usd as monthly_saving_usd,
        p.is_plan_in_stock, p.is_plan_retired, p.is_regional_price,
        k.created_monthly_cost_usd <> p.monthly_cost_usd as price_changed_since_created,
        k.created_monthly_cost_usd, p.created_at, p.is_bare_metal
    from priced p
    left join cheapest c using (server_id)
    left join at_creation k using (server_id)
)
select * from final
order by region_id, label, server_id
