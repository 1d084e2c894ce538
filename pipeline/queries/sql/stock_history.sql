-- grain: one row per in-stock interval of a plan in a region (bound: $plan_id, $region_id)
with final as (
    select region_id, plan_id, valid_from, valid_to
    from availability_history
    where plan_id = $plan_id
      and (cast($region_id as varchar) is null or region_id = $region_id)
)
select * from final
order by region_id, valid_from
