-- grain: one row: the facts `status` shows from the published catalog
with last_ok as (
    select snapshot_id, started_at, finished_at, change_count, is_simulated
    from snapshots
    where status = 'ok'
    order by snapshot_id desc
    limit 1
),
last_failed as (
    select snapshot_id, coalesce(finished_at, started_at) as failed_at, error
    from snapshots
    where status in ('failed', 'rejected')
    order by snapshot_id desc
    limit 1
),
counts as (
    select
        (select count(*) from snapshots where status = 'ok') as snapshots_ok,
        (select count(*) from snapshots where status in ('failed', 'rejected')) as snapshots_failed,
        (select count(*) from catalog_changes) as changes,
        (select count(*) from regions) as regions,
        (select count(*) from plans) as plans,
        (select count(*) from availability) as in_stock_pairs
),
final as (
    select
        o.snapshot_id as last_ok_snapshot_id,
        o.started_at as last_ok_started_at,
        o.finished_at as last_ok_finished_at,
        o.change_count as last_ok_change_count,
        o.is_simulated as last_ok_is_simulated,
        f.snapshot_id as last_failed_snapshot_id,
        f.failed_at as last_failed_at,
        f.error as last_failed_error,
        c.*
    from counts c
    left join last_ok o on true
    left join last_failed f on true
)
select * from final
