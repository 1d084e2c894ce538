-- grain: one row per request (endpoint, path, params) ever answered 200: the body of its latest
-- answer, the delta-compression base of a new body of the same request
with latest as (
    select endpoint, path, params, arg_max(body_id, last_snapshot_id) as body_id
    from _request_runs
    where status = 200
    group by endpoint, path, params
),
final as (
    select * from latest
)
select * from final
