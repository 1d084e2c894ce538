-- grain: one row per (region, plan) of the stock_summary view (bound: $region_id, $plan_id)
with final as (
    select region_id, plan_id, in_stock_now, first_seen_at, last_seen_at, in_stock_ratio_30d,
           last_restocked_at, last_sold_out_at
    from stock_summary
    where (cast($region_id as varchar) is null or region_id = $region_id)
      and (cast($plan_id as varchar) is null or plan_id = $plan_id)
)
select * from final
order by region_id, plan_id
