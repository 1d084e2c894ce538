"""One alert pass after a collection: match new changes into the outbox, then deliver what is due
(a log line, a webhook POST, Apprise notifications). Bounded in time and never raising: alerts never
block or fail a collection; what is not delivered now is retried with backoff on a later pass."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from pipeline.collect.watchdog import DeadlinePassed, Watchdog, WatchedAdapter
from pipeline.secrets import scrub
from pipeline.service.alerts import outbox
from pipeline.service.alerts.channels import no_answer, send_apprise
from pipeline.service.alerts.match import read_outlooks
from pipeline.service.alerts.rules import AlertConfig, Delivery
from pipeline.state import update_state
from pipeline.warehouse import store as warehouse

log = logging.getLogger(__name__)
USER_AGENT = "vultr-catalog-alerts/1"
MAX_REPLY_BYTES = 4096  # a webhook's reply is drained this far at most, then the connection closes


@dataclass
class AlertPass:
    matched: int = 0
    delivered: int = 0
    failed: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class AlertHook:
    """The alerts as a collector hook: the cursor before the collection, one pass after it."""

    config: AlertConfig

    def before(self, data_dir: Path) -> None:
        prepare_alerts(data_dir, self.config)

    def after(self, data_dir: Path) -> None:
        process_alerts(data_dir, self.config)


def alert_hooks(config: AlertConfig | None) -> tuple[AlertHook, ...]:
    """What `collect(..., hooks=...)` takes: nothing without rules."""
    return () if config is None else (AlertHook(config),)


def prepare_alerts(data_dir: Path | str, config: AlertConfig | None) -> None:
    """Before the first collection: fix the cursor, so the changes of that collection are matched."""
    if config is None:
        return
    with warehouse.open_warehouse(Path(data_dir)) as con:
        outbox.ensure_cursor(con, datetime.now(UTC))


def process_alerts(data_dir: Path | str, config: AlertConfig, now: datetime | None = None) -> AlertPass:
    """Enqueue and deliver; errors are logged and returned, never raised. The caller holds the lock."""
    result = AlertPass()
    try:
        with warehouse.open_warehouse(Path(data_dir)) as con:
            result.matched = outbox.enqueue(con, config, now or datetime.now(UTC),
                                            lambda matches: read_outlooks(data_dir, matches))
            _deliver_due(con, config, result)
            result.counts = outbox.counts(con)
        update_state(data_dir, alerts=result.counts)
    except Exception as exc:  # alerts must never fail the collector
        result.error = f"{type(exc).__name__}: {exc}"
        log.error("alerts: pass failed: %s", result.error)
    if result.matched or result.delivered or result.failed:
        log.info("alerts queued=%d delivered=%d failed=%d pending=%s", result.matched, result.delivered,
                 result.failed, result.counts.get("pending"))
    return result


def _deliver_due(con, config: AlertConfig, result: AlertPass) -> None:
    delivery, urls = config.delivery, config.targets()
    deadline = time.monotonic() + delivery.budget_s
    down: set[str] = set()
    for row in outbox.due(con, datetime.now(UTC)):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            log.info("alerts: delivery budget of %.0fs used; the rest waits for the next pass", delivery.budget_s)
            return
        if row.target in down:
            continue
        if row.target and row.target not in urls:  # the URL left the rules file: nowhere to send it
            outbox.abandon(con, row, "its URL is no longer in the rules file", datetime.now(UTC))
            result.failed += 1
            continue
        error = send(row, delivery, min(delivery.timeout_s, remaining), urls.get(row.target or ""))
        _record(con, row, error, delivery, result, down)


def _record(con, row: outbox.OutboxRow, error: str | None, delivery: Delivery, result: AlertPass,
            down: set[str]) -> None:
    now = datetime.now(UTC)
    if error is None:
        outbox.mark_delivered(con, row, now)
        result.delivered += 1
        return
    result.failed += 1
    retry_at = outbox.mark_failed(con, row, error, now, delivery)
    log.warning("alert id=%s %s=%s failed (attempt %d): %s%s", row.alert_id, row.channel.partition(":")[0],
                row.label, row.attempt_count + 1, scrub(error), f"; retry after {retry_at:%H:%M:%SZ}" if retry_at else "")
    if row.target and retry_at:
        down.add(row.target)
        outbox.postpone_target(con, row.target, retry_at)


def send(row: outbox.OutboxRow, delivery: Delivery, budget_s: float, url: str | None) -> str | None:
    """Deliver one alert on its channel; None on success, else a short error (never the URL's secrets)."""
    if row.channel == "log":
        log.warning("alert id=%s %s", row.alert_id, row.payload["text"])
        return None
    if url is None:
        return "no URL for this channel"
    if row.channel == "webhook":
        return _send_webhook(row, url, delivery, budget_s)
    error = send_apprise(url, f"vultr-catalog: {row.rule_name}", _apprise_body(row.payload), delivery.timeout_s,
                         budget_s)
    if error is None:
        log.info("alert id=%s apprise=%s delivered", row.alert_id, row.label)
    return error


def _apprise_body(payload: dict[str, Any]) -> str:
    """The alert's text without the `[rule]` prefix (the rule is the title)."""
    text = str(payload["text"])
    prefix = f"[{payload['rule']}] "
    return text[len(prefix):] if text.startswith(prefix) else text


def _send_webhook(row: outbox.OutboxRow, url: str, delivery: Delivery, budget_s: float) -> str | None:
    """The POST runs in a daemon thread given `budget_s` of wall clock, from connect to the last byte read:
    a webhook that trickles its status line, headers or reply (each read just under the timeout) is cut
    by a watchdog on time (the thread ends too) and never holds the collection or the lock; only a
    few KB of its reply are ever read."""
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=_post, args=(url, row.payload, delivery, budget_s, outcome), daemon=True,
                              name="alert-webhook")
    worker.start()
    worker.join(budget_s)
    status = outcome.get("status")
    if worker.is_alive() and status is None:
        return no_answer(budget_s)
    if isinstance(status, int) and 200 <= status < 300:
        log.info("alert id=%s webhook=%s delivered (HTTP %d)", row.alert_id, row.label, status)
        return None
    return str(outcome.get("error") or f"HTTP {status}")


def _post(url: str, payload: dict[str, Any], delivery: Delivery, budget_s: float, outcome: dict[str, object]) -> None:
    deadline = time.monotonic() + budget_s
    try:
        with Watchdog(deadline), requests.Session() as session:
            session.mount("http://", WatchedAdapter(max_retries=0))
            session.mount("https://", WatchedAdapter(max_retries=0))
            with session.post(url, json=payload, headers={"User-Agent": USER_AGENT},
                              allow_redirects=False, timeout=(delivery.timeout_s, delivery.timeout_s),
                              stream=True) as response:
                outcome["status"] = response.status_code  # the verdict: the body is only drained, a little
                _drain(response, deadline)
    except DeadlinePassed:
        outcome.setdefault("error", no_answer(budget_s))
    except Exception as exc:  # any failure is a failed delivery, retried later
        outcome.setdefault("error", type(exc).__name__)


def _drain(response: requests.Response, deadline: float) -> None:
    drained = 0
    while drained < MAX_REPLY_BYTES and time.monotonic() < deadline:
        chunk = response.raw.read1(MAX_REPLY_BYTES - drained, decode_content=True)
        if not chunk:
            break
        drained += len(chunk)
