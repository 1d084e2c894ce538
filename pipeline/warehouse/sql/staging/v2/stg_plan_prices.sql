-- grain: one row per (plan, region) with a regional price override (v2 plans[].location_cost)
with pages as (
    select endpoint, page, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal')
),
items as (
    select endpoint, page, unnest(from_json(doc -> endpoint, '["json"]')) as item from pages
),
with_overrides as (
    -- `{}` (or an absent / non-object field) means every region pays the base price
    select endpoint, page, item from items where json_type(item -> 'location_cost') = 'OBJECT'
),
overrides as (
    select o.endpoint, o.page, o.item ->> 'id' as plan_id, entry.key as region_id, entry.value as cost
    from with_overrides o, json_each(o.item -> 'location_cost') as entry
),
final as (
    select
        plan_id,
        region_id,
        cast(nullif(cost ->> 'monthly_cost', '') as decimal(18, 6)) as monthly_cost_usd,
        try_cast(nullif(cost ->> 'hourly_cost', '') as decimal(18, 6)) as hourly_cost_usd,
        try_cast(nullif(cost ->> 'monthly_cost_preemptible', '') as decimal(18, 6)) as monthly_cost_preemptible_usd,
        try_cast(nullif(cost ->> 'hourly_cost_preemptible', '') as decimal(18, 6)) as hourly_cost_preemptible_usd
    from overrides
    -- the same item as stg_plans keeps: the first page's, cloud before bare metal
    qualify row_number() over (partition by plan_id, region_id order by endpoint = 'plans_metal', page) = 1
)
select * from final
