-- grain: one row per successful response body of one snapshot (bound: snapshot_id); input of staging
with requests as (
    select *
    from _request_runs
    where status = 200 and first_snapshot_id <= $snapshot_id and last_snapshot_id >= $snapshot_id
),
final as (
    select
        requests.endpoint,
        -- v2 names the region in the path, v1 in the DCID parameter
        coalesce(
            nullif(regexp_extract(requests.path, '^/regions/([^/]+)/availability$', 1), ''),
            json_extract_string(requests.params, '$.DCID')
        ) as region_key,
        -- the request order within the snapshot; store.py puts pages of one list in cursor-chain order
        cast(row_number() over (order by requests.endpoint, requests.path, requests.params) - 1 as integer) as page,
        requests.body_id,
        requests.path,
        requests.params
    from requests
    order by page
)
select * from final
