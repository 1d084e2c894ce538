-- grain: one row per successful response body of one snapshot (bound: snapshot_id), in request order;
-- store.py decodes them, puts the pages of one list in cursor-chain order and names their regions
with requests as (
    select *
    from _request_runs
    where status = 200 and first_snapshot_id <= $snapshot_id and last_snapshot_id >= $snapshot_id
),
final as (
    select
        requests.endpoint,
        requests.path,
        requests.params,
        requests.body_id
    from requests
    order by requests.endpoint, requests.path, requests.params
)
select * from final
