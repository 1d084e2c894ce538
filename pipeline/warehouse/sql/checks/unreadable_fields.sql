-- grain: one row per v2 plan or bare-metal plan whose answer lacks a field an answer needs, or sends one
-- that cannot be read (id, monthly price, a regional monthly price, RAM, vCPUs, locations); the gate
-- rejects such a snapshot with one line naming the first one's endpoint, index in its page, plan and field. A numeric string is read as
-- the number (not listed here).
with pages as (
    select endpoint, body::json as doc
    from _snapshot_bodies
    where endpoint in ('plans', 'plans_metal')
),
lists as (
    select endpoint, from_json(doc -> endpoint, '["json"]') as list from pages
),
items as (
    -- two unnests in one select run in step: each item beside its index in the page
    select endpoint, unnest(list) as item, unnest(range(len(list))) as item_index from lists
),
needed as (
    select
        endpoint, item_index,
        coalesce(item ->> 'id', '(no id)') as plan_id,
        case when coalesce(json_type(item -> 'id'), 'NULL') in ('NULL', 'OBJECT', 'ARRAY') then 'id'
             when try_cast(item ->> 'monthly_cost' as decimal(18, 6)) is null then 'monthly_cost'
             when try_cast(item ->> 'ram' as integer) is null then 'ram'
             when try_cast(case when endpoint = 'plans_metal' then coalesce(item ->> 'cpu_threads', item ->> 'cpu_count')
                                else item ->> 'vcpu_count' end as integer) is null
                 then case when endpoint = 'plans_metal' then 'cpu_threads' else 'vcpu_count' end
             when json_type(item -> 'locations') is distinct from 'ARRAY' then 'locations'
        end as field,
        item
    from items
),
regional as (
    -- a region's override replaces the base price: unreadable, it would answer with the wrong one
    select n.endpoint, n.item_index, n.plan_id, 'location_cost.' || e.key || '.monthly_cost' as field,
           coalesce(cast(e.value -> 'monthly_cost' as varchar), 'missing') as sent
    from needed n, json_each(n.item -> 'location_cost') as e
    where n.field is null and json_type(n.item -> 'location_cost') = 'OBJECT'
      and try_cast(e.value ->> 'monthly_cost' as decimal(18, 6)) is null
),
problems as (
    select endpoint, item_index, plan_id, field, coalesce(cast(item -> field as varchar), 'missing') as sent
    from needed
    where field is not null
    union all
    select * from regional
),
final as (
    select endpoint, item_index, plan_id, field, sent, count(*) over () as problem_count
    from problems
    order by plan_id, field, endpoint, item_index
)
select * from final
