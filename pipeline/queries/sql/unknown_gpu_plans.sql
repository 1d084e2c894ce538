-- grain: one row per GPU plan as of $ts whose GPU facts are unknown (the API omits them, the packaged
-- table does not list it and its id names no known GPU): no GPU filter can judge it, so it is named,
-- never dropped silently. Bound by name: ts; plan_type on the line marked `-- if plan_type`.
with final as (
    select plan_id, plan_type, is_bare_metal, monthly_cost_usd
    from plans_at(cast($ts as timestamptz))
    where has_gpu and (gpu_type is null or gpu_vram_gb is null)
      and is_of_type(plan_type, $plan_type)  -- if plan_type
)
select * from final
order by plan_id
