-- grain: one row per v2 listing that repeats an id across (or within) its pages; staging keeps the
-- item of the first page in fetch order, deterministically, and the collector reports these rows
with items as (
    select endpoint, unnest(from_json(body::json -> endpoint, '["json"]')) ->> 'id' as item_id
    from _snapshot_bodies
    where endpoint in ('regions', 'plans', 'plans_metal', 'os')
),
repeated as (
    select endpoint, item_id from items group by all having count(*) > 1
),
listed as (
    -- the ids named, cut to 200 characters with their size stated (an id can be any size)
    select endpoint, count(*) as id_count, string_agg(item_id, ', ' order by item_id) as ids
    from repeated
    group by endpoint
),
final as (
    select endpoint || ': ' || id_count || ' duplicate id(s) ('
        || case when length(ids) > 200 then ids[:200] || '... (' || length(ids) || ' chars)' else ids end
        || '); the first page''s item kept' as warning
    from listed
    order by endpoint
)
select * from final
