"""Persisted alert state in the warehouse: a cursor (the last snapshot matched) and an outbox (one row
per rule, change and channel until delivered). Matching and advancing the cursor are one
transaction, so a restart neither repeats a match nor skips one.

A channel is `log`, `webhook` or `apprise:<12 hex of the URL's hash>` (one per notification URL of the
rule); its target is the URL's hash (channels.target_key) and target_label its redacted form: no URL is
ever stored. Delivery finds the URL by its hash in the rules file loaded now."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from pipeline.secrets import scrub
from pipeline.service.alerts.channels import redact, target_key
from pipeline.service.alerts.match import build_payload, clean_row, match_changes
from pipeline.service.alerts.rules import AlertConfig, Delivery
from pipeline.sql import fetch_one, fetch_value

Outlooks = Callable[[list[dict[str, Any]]], dict[tuple, dict[str, Any]]]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxRow:
    alert_id: str
    channel: str
    rule_name: str
    target: str | None  # the URL's hash (None for log)
    payload: dict[str, Any]
    attempt_count: int
    label: str = "-"  # the URL, redacted: what logs and `alerts test --send` show


def latest_snapshot_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(fetch_value(con, "select coalesce(max(snapshot_id), 0) from snapshots"))


def ensure_cursor(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Start matching after the newest snapshot when alerts are first enabled (no alert storm of history)."""
    row = fetch_one(con, "select last_snapshot_id from alert_cursor where cursor_id = 1")
    if row:
        return int(row[0])
    start = latest_snapshot_id(con)
    con.execute("insert into alert_cursor values (1, $start, $now)", {"start": start, "now": now})
    log.info("alerts: matching changes after snapshot %d", start)
    return start


def enqueue(con: duckdb.DuckDBPyConnection, config: AlertConfig, now: datetime,
            outlooks: Outlooks | None = None) -> int:
    """Match the changes recorded since the cursor; add one outbox row per (rule, change, channel).
    `outlooks` gives the stock outlook of restock and sell-out matches for their text (match.read_outlooks)."""
    con.execute("begin")
    try:
        after = ensure_cursor(con, now)
        up_to = latest_snapshot_id(con)
        rows = _outbox_rows(con, config, after, up_to, now, outlooks) if up_to > after else []
        if rows:
            names = ("alert_id", "channel", "rule_name", "snapshot_id", "change_key", "target", "target_label",
                     "payload", "created_at", "next_attempt_at")
            con.executemany(f"insert or ignore into alert_outbox ({', '.join(names)})"
                            f" values ({', '.join('$' + n for n in names)})", [dict(zip(names, r)) for r in rows])
        con.execute("update alert_cursor set last_snapshot_id = $up_to, updated_at = $now where cursor_id = 1",
                    {"up_to": up_to, "now": now})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)


def _outbox_rows(con: duckdb.DuckDBPyConnection, config: AlertConfig, after: int, up_to: int,
                 now: datetime, outlooks: Outlooks | None) -> list[list[Any]]:
    rules = {r.name: r for r in config.rules}
    matches = [clean_row(m) for m in match_changes(con, config.rules, after, up_to).to_dict("records")]
    found = outlooks(matches) if outlooks else {}
    rows = []
    for m in matches:
        payload = build_payload(m, found.get((m["plan_id"], m["region_id"], m["changed_at"])))
        body = json.dumps(payload, sort_keys=True)
        for channel, url in channels_of(config, rules[m["rule_name"]]):
            target, label = (target_key(url), redact(url)) if url else (None, None)
            rows.append([payload["alert_id"], channel, m["rule_name"], int(m["snapshot_id"]), m["change_key"],
                         target, label, body, now, now])
    return rows


def channels_of(config: AlertConfig, rule: Any) -> list[tuple[str, str | None]]:
    """(channel, URL) for each way the rule delivers: log (no URL), its webhook, its notification URLs."""
    out: list[tuple[str, str | None]] = [("log", None)] if rule.log else []
    if rule.webhook:
        out.append(("webhook", rule.webhook))
    out += [(f"apprise:{target_key(url)[7:19]}", url) for url in config.notify_urls(rule)]
    return out


def due(con: duckdb.DuckDBPyConnection, now: datetime) -> list[OutboxRow]:
    rows = con.execute(
        "select alert_id, channel, rule_name, target, payload, attempt_count, coalesce(target_label, '-')"
        " from alert_outbox where delivered_at is null and abandoned_at is null and next_attempt_at <= ?"
        " order by snapshot_id, created_at, alert_id, channel", [now]).fetchall()
    return [OutboxRow(a, c, r, t, json.loads(p), n, label) for a, c, r, t, p, n, label in rows]


def mark_delivered(con: duckdb.DuckDBPyConnection, row: OutboxRow, now: datetime) -> None:
    con.execute("update alert_outbox set delivered_at = $now, attempt_count = attempt_count + 1, last_error = null"
                " where alert_id = $alert_id and channel = $channel",
                {"now": now, "alert_id": row.alert_id, "channel": row.channel})


def mark_failed(con: duckdb.DuckDBPyConnection, row: OutboxRow, error: str, now: datetime,
                delivery: Delivery) -> datetime | None:
    """Count the attempt; schedule the next with exponential backoff, or abandon. Returns the retry time."""
    attempts = row.attempt_count + 1
    error = scrub(error)  # an error text never carries a URL's secret (they are registered when rules load)
    if attempts >= delivery.max_attempts:
        abandon(con, row, error, now)
        return None
    retry_at = now + timedelta(seconds=min(delivery.retry_base_s * 2 ** (attempts - 1), delivery.retry_max_s))
    con.execute("update alert_outbox set attempt_count = $attempts, last_error = $error, next_attempt_at = $retry_at"
                " where alert_id = $alert_id and channel = $channel",
                {"attempts": attempts, "error": error, "retry_at": retry_at, "alert_id": row.alert_id,
                 "channel": row.channel})
    return retry_at


def abandon(con: duckdb.DuckDBPyConnection, row: OutboxRow, error: str, now: datetime) -> None:
    """Give up on the row (counted as an attempt), with an error line in the log."""
    attempts = row.attempt_count + 1
    error = scrub(error)
    con.execute("update alert_outbox set attempt_count = $attempts, last_error = $error, abandoned_at = $now"
                " where alert_id = $alert_id and channel = $channel",
                {"attempts": attempts, "error": error, "now": now, "alert_id": row.alert_id, "channel": row.channel})
    log.error("alert id=%s %s abandoned after %d attempts: %s", row.alert_id, row.label, attempts, error)


def postpone_target(con: duckdb.DuckDBPyConnection, target: str, until: datetime) -> None:
    """After one failure, the target's other pending alerts wait too (no attempt counted)."""
    con.execute("update alert_outbox set next_attempt_at = greatest(next_attempt_at, $until)"
                " where target = $target and delivered_at is null and abandoned_at is null",
                {"until": until, "target": target})


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    row = con.execute(
        "select count(*) filter (where delivered_at is not null),"
        " count(*) filter (where delivered_at is null and abandoned_at is null),"
        " count(*) filter (where abandoned_at is not null),"
        " arg_max(last_error, next_attempt_at) filter (where delivered_at is null and last_error is not null)"
        " from alert_outbox").fetchall()[0]
    return {"delivered": row[0], "pending": row[1], "abandoned": row[2], "last_error": row[3]}
