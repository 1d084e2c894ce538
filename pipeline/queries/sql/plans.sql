-- grain: one row per plan, current (ts null) or as of ts (bound: $at, $plan_type); cheapest first
with current_plans as (
    select * from plans where cast($at as timestamptz) is null
),
past_plans as (
    -- plans_at(null) is empty, so exactly one of the two branches has rows
    select * exclude (valid_from, valid_to), valid_from as updated_at from plans_at(cast($at as timestamptz))
),
final as (
    select * from current_plans
    union all by name
    select * from past_plans
)
select * from final
where (cast($plan_type as varchar) is null or plan_type = $plan_type)
order by monthly_cost_usd, vcpu_count, ram_mb, plan_id
