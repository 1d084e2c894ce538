-- grain: one row per snapshot whose history stands: ok, or failed only at publishing, after the
-- commit that applied it (that commit is what sets content_hash; a failure never does). The one SQL
-- statement of the rule pipeline.status.history_stands states for a snapshot row already read:
-- what rebuild replays (checks/replay.sql) and what a snapshot after a failed one compares with
-- (requestlog.latest_applied_bodies).
create or replace view _applied_snapshots as
select *
from snapshots
where status = 'ok' or (status = 'failed' and content_hash is not null);
