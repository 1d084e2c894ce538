-- grain: one row per published snapshot, newest first (bound: limit)
with final as (
    select * from snapshots
)
select * from final
order by started_at desc, snapshot_id desc
limit ?
