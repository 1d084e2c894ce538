"""Persisted alert state in the warehouse: a cursor (the last snapshot matched) and an outbox (one row
per rule, change and channel until delivered). Matching and advancing the cursor are one
transaction, so a restart neither repeats a match nor skips one."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from pipeline.service.alerts.match import build_payload, clean_row, match_changes
from pipeline.service.alerts.rules import AlertConfig, Delivery
from pipeline.sql import fetch_one, fetch_value

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxRow:
    alert_id: str
    channel: str
    rule_name: str
    target: str | None
    payload: dict[str, Any]
    attempt_count: int


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


def enqueue(con: duckdb.DuckDBPyConnection, config: AlertConfig, now: datetime) -> int:
    """Match the changes recorded since the cursor; add one outbox row per (rule, change, channel)."""
    con.execute("begin")
    try:
        after = ensure_cursor(con, now)
        up_to = latest_snapshot_id(con)
        rows = _outbox_rows(con, config, after, up_to, now) if up_to > after else []
        if rows:
            names = ("alert_id", "channel", "rule_name", "snapshot_id", "change_key", "target", "payload",
                     "created_at", "next_attempt_at")
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
                 now: datetime) -> list[list[Any]]:
    rules = {r.name: r for r in config.rules}
    rows = []
    for match in match_changes(con, config.rules, after, up_to).to_dict("records"):
        m = clean_row(match)
        payload = build_payload(m)
        rule = rules[m["rule_name"]]
        body = json.dumps(payload, sort_keys=True)
        head = [payload["alert_id"]]
        tail = [m["rule_name"], int(m["snapshot_id"]), m["change_key"]]
        if rule.log:
            rows.append([*head, "log", *tail, None, body, now, now])
        if rule.webhook:
            rows.append([*head, "webhook", *tail, rule.webhook, body, now, now])
    return rows


def due(con: duckdb.DuckDBPyConnection, now: datetime) -> list[OutboxRow]:
    rows = con.execute(
        "select alert_id, channel, rule_name, target, payload, attempt_count from alert_outbox"
        " where delivered_at is null and abandoned_at is null and next_attempt_at <= ?"
        " order by snapshot_id, created_at, alert_id, channel", [now]).fetchall()
    return [OutboxRow(a, c, r, t, json.loads(p), n) for a, c, r, t, p, n in rows]


def mark_delivered(con: duckdb.DuckDBPyConnection, row: OutboxRow, now: datetime) -> None:
    con.execute("update alert_outbox set delivered_at = $now, attempt_count = attempt_count + 1, last_error = null"
                " where alert_id = $alert_id and channel = $channel",
                {"now": now, "alert_id": row.alert_id, "channel": row.channel})


def mark_failed(con: duckdb.DuckDBPyConnection, row: OutboxRow, error: str, now: datetime,
                delivery: Delivery) -> datetime | None:
    """Count the attempt; schedule the next with exponential backoff, or abandon. Returns the retry time."""
    attempts = row.attempt_count + 1
    if attempts >= delivery.max_attempts:
        con.execute("update alert_outbox set attempt_count = $attempts, last_error = $error, abandoned_at = $now"
                    " where alert_id = $alert_id and channel = $channel",
                    {"attempts": attempts, "error": error, "now": now, "alert_id": row.alert_id, "channel": row.channel})
        log.error("alert id=%s abandoned after %d attempts: %s", row.alert_id, attempts, error)
        return None
    retry_at = now + timedelta(seconds=min(delivery.retry_base_s * 2 ** (attempts - 1), delivery.retry_max_s))
    con.execute("update alert_outbox set attempt_count = $attempts, last_error = $error, next_attempt_at = $retry_at"
                " where alert_id = $alert_id and channel = $channel",
                {"attempts": attempts, "error": error, "retry_at": retry_at, "alert_id": row.alert_id,
                 "channel": row.channel})
    return retry_at


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
