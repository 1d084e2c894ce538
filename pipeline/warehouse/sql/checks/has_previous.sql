-- grain: one row: whether an applied snapshot precedes this one (bound: snapshot_id)
with final as (
    select count(*) > 0 as has_previous from snapshots where status = 'ok' and snapshot_id < ?
)
select * from final
