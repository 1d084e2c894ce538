-- grain: one row per (region, plan) in stock now in the regions a stock poll asked about, as one key
-- (region_id, chr(31), plan_id: stock.SEPARATOR), with the rowid of its current availability_history
-- version (a pair the poll finds sold out is closed by it, in the same transaction).
-- Bound: regions (null = every region).
with final as (
    select region_id || chr(31) || plan_id as pair_key, rowid as version_rowid
    from availability_history
    where valid_to is null
      and (cast($regions as varchar[]) is null or list_contains(cast($regions as varchar[]), region_id))
)
select * from final
