-- grain: one _applied_bodies row per request whose answer the history now reflects. The answers
-- just applied replace those of the same requests, and of the endpoints they cover (every endpoint
-- for a full snapshot: is_full) a request not answered this time is dropped. One statement (a minute
-- cadence pays for every statement). Bound: the answers as equal-length lists, is_full, endpoints.
merge into _applied_bodies applied
using (
    select
        unnest(cast($endpoint as varchar[])) as endpoint,
        unnest(cast($path as varchar[])) as path,
        unnest(cast($params as varchar[])) as params,
        unnest(cast($body_id as integer[])) as body_id
) as answers
on applied.endpoint = answers.endpoint and applied.path = answers.path and applied.params = answers.params
when matched then
    update set body_id = answers.body_id
when not matched then
    insert (endpoint, path, params, body_id) values (answers.endpoint, answers.path, answers.params, answers.body_id)
when not matched by source and ($is_full or list_contains(cast($endpoints as varchar[]), applied.endpoint)) then
    delete
