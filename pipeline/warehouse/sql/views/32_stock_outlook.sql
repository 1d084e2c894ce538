-- grain: one row per (plan, region) ever offered or in stock: its stock outlook over the 30 days before the
-- latest applied snapshot (the macro stock_outlook_at(as_of_ts, window_days) gives any moment and window)
create or replace view stock_outlook as
with final as (
    select * from stock_outlook_at(null, 30)
)
select * from final;
