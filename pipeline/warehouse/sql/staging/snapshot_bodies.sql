-- grain: one row per successful response body of one snapshot (bound: snapshot_id); input of staging
with requests as (
    select * from _requests where snapshot_id = ? and status = 200
),
final as (
    select
        requests.endpoint,
        -- v2 names the region in the path, v1 in the DCID parameter
        coalesce(
            nullif(regexp_extract(requests.path, '^/regions/([^/]+)/availability$', 1), ''),
            json_extract_string(requests.params, '$.DCID')
        ) as region_key,
        requests.seq as page,
        requests.body_id
    from requests
    order by requests.seq
)
select * from final
