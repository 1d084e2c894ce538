-- grain: one availability_history version per pair a stock poll finds back in stock (valid_from = at,
-- open). Bound: region_id, plan_id (equal-length lists, from stock.read_poll), at.
insert into availability_history by name
with given as (
    select
        unnest(cast($region_id as varchar[])) as region_id,
        unnest(cast($plan_id as varchar[])) as plan_id
),
final as (
    select region_id, plan_id, cast($at as timestamptz) as valid_from, cast(null as timestamptz) as valid_to
    from given
)
select * from final
