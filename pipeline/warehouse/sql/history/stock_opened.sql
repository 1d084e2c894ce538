-- grain: one availability_history version per pair a stock poll finds back in stock (valid_from = at,
-- open). Bound: region_id, plan_id (equal-length lists, from stock.read_poll), at.
-- One select, no CTE chain, as history/stock_changes.sql (and for the same reason).
insert into availability_history by name
select
    unnest(cast($region_id as varchar[])) as region_id,
    unnest(cast($plan_id as varchar[])) as plan_id,
    cast($at as timestamptz) as valid_from,
    cast(null as timestamptz) as valid_to
