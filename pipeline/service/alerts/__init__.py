"""Alerts: rules over catalog_changes (rules.py, match.py), delivered once by log, webhook and/or Apprise
(channels.py) with state persisted in the warehouse (outbox.py, deliver.py); `alerts test --send` (sample.py)."""
from pipeline.service.alerts.deliver import AlertHook, AlertPass, alert_hooks, prepare_alerts, process_alerts
from pipeline.service.alerts.known import check_rules_against_catalog
from pipeline.service.alerts.match import build_payload, test_rules
from pipeline.service.alerts.rules import ALERTS_ENV, AlertConfig, Delivery, Rule, load_rules
from pipeline.service.alerts.sample import send_samples

__all__ = [
           "ALERTS_ENV",
           "AlertConfig",
           "AlertHook",
           "AlertPass",
           "Delivery",
           "Rule",
           "alert_hooks",
           "build_payload",
           "check_rules_against_catalog",
           "load_rules",
           "prepare_alerts",
           "process_alerts",
           "send_samples",
           "test_rules",
]
