-- grain: one row per region that ever offered the plan (or one region): the stock outlook over the $days
-- before $as_of (NULL: the latest snapshot). Bound by name: plan_id, region_id (NULL = every region), days, as_of.
with final as (
    select *
    from stock_outlook_at(cast($as_of as timestamptz), $days)
    where plan_id = $plan_id
      and (cast($region_id as varchar) is null or region_id = $region_id)
)
select * from final
order by region_id
