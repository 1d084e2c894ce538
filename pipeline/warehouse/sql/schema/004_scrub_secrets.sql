-- grain: a one-off data migration: error texts stored before keys were scrubbed lose any
-- `Bearer <token>` or `API-Key: <token>` they quote (the exact key, in every form, is scrubbed by
-- pipeline/warehouse/scrub.py whenever a keyed collection runs)
update snapshots
set error = regexp_replace(regexp_replace(error, '(Bearer\s+)[^\s''",;)]+', '\1***', 'g'),
                           '(API-Key["'']?\s*[:=]\s*["'']?)[^\s''",;)]+', '\1***', 'gi')
where error is not null;

update alert_outbox
set last_error = regexp_replace(last_error, '(Bearer\s+)[^\s''",;)]+', '\1***', 'g')
where last_error is not null;
