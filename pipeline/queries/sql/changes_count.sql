-- grain: one row: how many catalog changes match the filters (the feed shows at most its limit)
-- (bound: entity x2, region_id x2, since x2, until x2)
with matching as (
    select 1
    from catalog_changes
    where (cast(? as varchar) is null or entity = ?)
      and (cast(? as varchar) is null or region_id = ?)
      and (cast(? as timestamptz) is null or changed_at >= ?)
      and (cast(? as timestamptz) is null or changed_at < ?)
),
final as (
    select count(*) as change_count from matching
)
select * from final
