-- grain: at most one row: the plan (and region, for a regional price) of the latest price change in the
-- history: a base price (entity plan, a *_cost_usd field) or a region's override (entity plan_price)
with price_changes as (
    select entity_id as plan_id, case when entity = 'plan_price' then region_id end as region_id, changed_at
    from catalog_changes
    where change_type = 'changed'
      and (entity = 'plan_price' or (entity = 'plan' and field like '%cost%usd'))
),
final as (
    select plan_id, region_id
    from price_changes
    order by changed_at desc, plan_id, region_id
    limit 1
)
select * from final
