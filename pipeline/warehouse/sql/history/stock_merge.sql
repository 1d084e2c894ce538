-- grain: the availability_history versions a stock poll closes (removed: valid_to = at) and opens
-- (added: valid_from = at). Bound: change_type, region_id, plan_id (equal-length lists, from
-- checks/stock_poll.sql), at. One statement for both (a minute cadence pays ~1 ms per statement).
merge into availability_history h
using (
    select
        unnest(cast($change_type as varchar[])) as change_type,
        unnest(cast($region_id as varchar[])) as region_id,
        unnest(cast($plan_id as varchar[])) as plan_id
) as given
on h.region_id = given.region_id and h.plan_id = given.plan_id and h.valid_to is null
when matched and given.change_type = 'removed' then
    update set valid_to = $at
when not matched and given.change_type = 'added' then
    insert (region_id, plan_id, valid_from, valid_to) values (given.region_id, given.plan_id, $at, null)
