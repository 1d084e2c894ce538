"""`alerts test RULES --send`: one sample message to every webhook and notification URL of a rules file,
through the same code that delivers real alerts (no outbox, no state): a user checks the setup at once."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.service.alerts.channels import redact, target_key
from pipeline.service.alerts.deliver import send
from pipeline.service.alerts.match import PAYLOAD_VERSION, stock_text
from pipeline.service.alerts.outbox import OutboxRow, channels_of
from pipeline.service.alerts.rules import AlertConfig

# what a restock alert reads like (the example), written by the real formatter
_SAMPLE_CHANGE = {"entity": "availability", "entity_id": "vcg-a100-12c-120g-80vram", "region_id": "fra",
                  "change_type": "added", "monthly_cost_usd": "1752.00", "hourly_cost_usd": "2.40",
                  "changed_at": datetime(2026, 12, 1, 12, 0, tzinfo=UTC)}
_SAMPLE_OUTLOOK = {"window_days": 30, "sell_out_count": 12, "has_enough_sell_outs": True, "median_sell_out_s": 7500,
                   "p90_sell_out_s": 32400, "last_restocked_at": _SAMPLE_CHANGE["changed_at"],
                   "last_sell_out_s": 11400}


def send_samples(config: AlertConfig) -> list[tuple[str, str | None]]:
    """(redacted URL, None or the error) for each distinct URL, in the file's order."""
    results: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for rule in config.rules:
        for channel, url in channels_of(config, rule):
            if url is None or url in seen:
                continue
            seen.add(url)
            row = OutboxRow(f"test-{target_key(url)[7:19]}", channel, rule.name, target_key(url),
                            sample_payload(rule.name), 0, redact(url))
            results.append((row.label, send(row, config.delivery, config.delivery.budget_s, url)))
    return results


def sample_payload(rule_name: str) -> dict[str, Any]:
    text = (f"Test message from `vultr-catalog alerts test --send` for rule {rule_name!r}. A restock alert reads: "
            + stock_text(_SAMPLE_CHANGE, _SAMPLE_OUTLOOK))
    return {"version": PAYLOAD_VERSION, "source": "vultr-catalog", "alert_id": "test", "rule": rule_name,
            "text": f"[{rule_name}] {text}", "change": None, "plan": None, "outlook": None, "is_simulated": False,
            "is_test": True}
