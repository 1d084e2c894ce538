-- grain: one row per (plan, region) ever offered (one plan, or every plan; one region, or every region): the
-- stock outlook over the $days before $as_of (NULL: the latest snapshot). Bound by name: plan_id and region_id
-- (NULL = every one), days, as_of.
with final as (
    select *
    from stock_outlook_at(cast($as_of as timestamptz), $days)
    where (cast($plan_id as varchar) is null or plan_id = $plan_id)
      and (cast($region_id as varchar) is null or region_id = $region_id)
)
select * from final
order by plan_id, region_id
