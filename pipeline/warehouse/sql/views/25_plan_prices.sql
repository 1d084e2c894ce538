-- grain: one row per (plan, region) where the plan is offered in the latest applied snapshot: the price
-- there (the rule regional_cost: the region's override, else the base price); plan_prices_at as of the
-- end of time, when only the current versions (valid_to NULL) hold
create or replace view plan_prices as
with final as (
    select * from plan_prices_at(cast('infinity' as timestamptz))
)
select * from final;
