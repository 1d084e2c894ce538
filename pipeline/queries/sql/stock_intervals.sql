-- grain: one row per in-stock interval of every plan in every region (availability_history), by plan,
-- region, oldest first; valid_to NULL = still in stock
with final as (
    select plan_id, region_id, valid_from, valid_to
    from availability_history
)
select * from final
order by plan_id, region_id, valid_from
