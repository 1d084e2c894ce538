-- grain: one row per (current region, current plan of the type) with its stock status
-- (bound: $plan_type); status: in_stock | sold_out (offered, not in stock) | not_offered
with chosen_plans as (
    select plan_id, plan_type, monthly_cost_usd
    from plans
    where (cast($plan_type as varchar) is null or plan_type = $plan_type)
),
pairs as (
    select r.region_id, p.plan_id, p.plan_type, p.monthly_cost_usd
    from regions r cross join chosen_plans p
),
final as (
    select
        pairs.region_id, pairs.plan_id, pairs.plan_type, pairs.monthly_cost_usd,
        case
            when a.plan_id is not null then 'in_stock'
            when l.plan_id is not null then 'sold_out'
            else 'not_offered'
        end as status
    from pairs
    left join availability a using (region_id, plan_id)
    left join plan_locations l using (region_id, plan_id)
)
select * from final
order by region_id, monthly_cost_usd, plan_id
