-- grain: one row per (plan, region) where the plan is offered in the latest applied snapshot
create or replace view plan_locations as
with final as (
    select plan_id, region_id, valid_from as offered_since
    from plan_locations_history
    where valid_to is null
)
select * from final;
