-- grain: one row per (region, plan) in stock in the latest applied snapshot (offered is not in stock)
create or replace view availability as
with final as (
    select region_id, plan_id, valid_from as in_stock_since
    from availability_history
    where valid_to is null
)
select * from final;
