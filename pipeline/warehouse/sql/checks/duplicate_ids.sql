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
final as (
    select endpoint || ': ' || count(*) || ' duplicate id(s) (' || string_agg(item_id, ', ' order by item_id)[:200]
        || '); the first page''s item kept' as warning
    from repeated
    group by endpoint
    order by endpoint
)
select * from final
