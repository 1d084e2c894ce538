-- grain: one row per successful request of the latest snapshot before this one (bound: snapshot_id);
-- their bodies are the delta-compression bases of this snapshot's new bodies
with previous as (
    select max(snapshot_id) as snapshot_id from _requests where snapshot_id < ?
),
final as (
    select endpoint, path, params, body_id
    from _requests
    where snapshot_id = (select snapshot_id from previous) and status = 200
)
select * from final
