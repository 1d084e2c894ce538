-- grain: alert_outbox rows keep no URL: a webhook or notification URL holds secrets and lives only in the
-- rules file; the outbox keeps its hash (target, `sha256:<hex>`) and a redacted form to log (target_label:
-- for a webhook stored before, its scheme and host, as the log showed it)
alter table alert_outbox add column target_label varchar;

update alert_outbox
set target_label = regexp_replace(target, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?([^/?#]*).*$', '\1\2', 's'),
    target = 'sha256:' || sha256(target)
where target is not null and not starts_with(target, 'sha256:');
