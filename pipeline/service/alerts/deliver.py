"""One alert pass after a collection: match new changes into the outbox, then deliver what is due
(webhook POST and/or a log line). Bounded in time and never raising: alerts never block or fail
a collection; what is not delivered now is retried with backoff on a later pass."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from pipeline.warehouse import store as warehouse
from pipeline.service.alerts import outbox
from pipeline.service.alerts.rules import AlertConfig, Delivery
from pipeline.queries.status import update_state

log = logging.getLogger(__name__)
USER_AGENT = "vultr-catalog-alerts/1"


@dataclass
class AlertPass:
    matched: int = 0
    delivered: int = 0
    failed: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def prepare_alerts(data_dir: Path | str, config: AlertConfig | None) -> None:
    """Before the first collection: fix the cursor, so the changes of that collection are matched."""
    if config is None:
        return
    with warehouse.open_warehouse(Path(data_dir)) as con:
        outbox.ensure_cursor(con, datetime.now(timezone.utc))


def process_alerts(data_dir: Path | str, config: AlertConfig, now: datetime | None = None) -> AlertPass:
    """Enqueue and deliver; errors are logged and returned, never raised. The caller holds the lock."""
    result = AlertPass()
    try:
        with warehouse.open_warehouse(Path(data_dir)) as con:
            result.matched = outbox.enqueue(con, config, now or datetime.now(timezone.utc))
            _deliver_due(con, config.delivery, result)
            result.counts = outbox.counts(con)
        update_state(data_dir, alerts=result.counts)
    except Exception as exc:  # noqa: BLE001 - alerts must never fail the collector
        result.error = f"{type(exc).__name__}: {exc}"
        log.error("alerts: pass failed: %s", result.error)
    if result.matched or result.delivered or result.failed:
        log.info("alerts queued=%d delivered=%d failed=%d pending=%s", result.matched, result.delivered,
                 result.failed, result.counts.get("pending"))
    return result


def _deliver_due(con, delivery: Delivery, result: AlertPass) -> None:
    deadline = time.monotonic() + delivery.budget_s
    down: set[str] = set()
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        for row in outbox.due(con, datetime.now(timezone.utc)):
            if time.monotonic() > deadline:
                log.info("alerts: delivery budget of %.0fs used; the rest waits for the next pass", delivery.budget_s)
                return
            if row.target in down:
                continue
            error = _send(session, row, delivery)
            now = datetime.now(timezone.utc)
            if error is None:
                outbox.mark_delivered(con, row, now)
                result.delivered += 1
                continue
            result.failed += 1
            retry_at = outbox.mark_failed(con, row, error, now, delivery)
            log.warning("alert id=%s webhook=%s failed (attempt %d): %s%s", row.alert_id, _host(row.target),
                        row.attempt_count + 1, error, f"; retry after {retry_at:%H:%M:%SZ}" if retry_at else "")
            if row.target and retry_at:
                down.add(row.target)
                outbox.postpone_target(con, row.target, retry_at)


def _send(session: requests.Session, row: outbox.OutboxRow, delivery: Delivery) -> str | None:
    """Deliver one alert; None on success, else a short error (never the URL's path or query)."""
    if row.channel == "log":
        log.warning("alert id=%s %s", row.alert_id, row.payload["text"])
        return None
    try:
        response = session.post(row.target, json=row.payload, timeout=(delivery.timeout_s, delivery.timeout_s),
                                allow_redirects=False)
    except requests.RequestException as exc:
        return type(exc).__name__
    if 200 <= response.status_code < 300:
        log.info("alert id=%s webhook=%s delivered (HTTP %d)", row.alert_id, _host(row.target), response.status_code)
        return None
    return f"HTTP {response.status_code}"


def _host(url: str | None) -> str:
    """Only scheme and host:port are logged: webhook paths often carry a secret token."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "-"
