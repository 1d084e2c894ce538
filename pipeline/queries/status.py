"""Collector health: `status` reads the state file (pipeline.state) with the published catalog,
through the read API (read-only, briefly; never the warehouse, which a running scheduler holds).
Staleness follows the one rule in pipeline.queries.staleness, as the dashboard does.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.durations import format_duration
from pipeline.errors import NoCatalogError, looks_damaged
from pipeline.lock import is_locked, read_holder
from pipeline.paths import WAREHOUSE_FILE, catalog_path, warehouse_path
from pipeline.queries.core import catalog
from pipeline.queries.gpu import unknown_gpu_plans
from pipeline.queries.staleness import staleness
from pipeline.safe_text import terminal_lines
from pipeline.sql import load_sql
from pipeline.state import parse_time, read_state


def collector_status(data_dir: Path | str, now: datetime | None = None, check_files: bool = False) -> dict[str, Any]:
    """Everything `status` shows, as a JSON-ready dict (times ISO-8601 UTC, ages in seconds);
    `check_files`: read the warehouse whole to tell whether it is damaged (the CLI's `status`)."""
    if not Path(data_dir).is_dir():
        raise NoCatalogError(f"no data directory at {data_dir}: nothing has been collected there "
                             "(check --data-dir, or run `vultr-catalog collect` first)")
    now = now or datetime.now(UTC)
    state = read_state(data_dir)
    catalog = _catalog_facts(data_dir)
    success = catalog.pop("last_success")
    interval_s = state.get("interval_s")
    rule = staleness(data_dir, success["observed_at"] if success else None, now)
    next_run = parse_time(state.get("next_run_at"))
    running = is_locked(data_dir)
    report: dict[str, Any] = _jsonable({
        "data_dir": str(data_dir), "checked_at": now,
        "collector": _collector(data_dir, running, state),
        "schedule": {"interval_s": interval_s, "cron": state.get("cron"),
                     "next_run_at": next_run if running else None},
        "last_success": {**success, "age_s": round(rule.age_s, 1)} if success and rule.age_s is not None else None,
        "last_failure": _last_failure(state, catalog.pop("last_failure")),
        "consecutive_failures": state.get("consecutive_failures", 0),
        "is_stale": rule.is_stale, "stale_after_s": rule.stale_after_s,
        "stale_after_is_default": rule.is_default,
        "counts": catalog["counts"], "alerts": state.get("alerts"),
        "schema_drift": catalog["schema_drift"],
        "unknown_gpu_plans": catalog["unknown_gpu_plans"],
        "damaged_files": [WAREHOUSE_FILE] if check_files and not running and warehouse_is_damaged(data_dir) else [],
    })
    return report


def warehouse_is_damaged(data_dir: Path | str) -> bool:
    """Whether the collector's warehouse exists but does not read back whole (every row of every table
    hashed). Read-only and brief, like any reader's open; only called when no collector holds it."""
    path = warehouse_path(data_dir)
    if not path.exists():
        return False
    if path.is_dir():
        return True
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return looks_damaged(exc)
    try:
        tables = [row[0] for row in con.execute("select table_name from duckdb_tables()"
                                                " where database_name = current_database()").fetchall()]
        for table in tables:  # names from DuckDB's own catalog
            con.execute(f'select count(*), sum(hash(t)) from "{table}" t').fetchall()
    except duckdb.Error as exc:
        return looks_damaged(exc)
    finally:
        con.close()
    return False


def _collector(data_dir: Path | str, running: bool, state: dict[str, Any]) -> dict[str, Any]:
    holder = read_holder(data_dir)
    if not running:
        return {"is_running": False, "last_pid": state.get("pid"), "stopped_at": state.get("stopped_at")}
    return {"is_running": True, "pid": holder.pid if holder else None,
            "command": holder.command if holder else None, "started_at": holder.started_at if holder else None}


def _last_failure(state: dict[str, Any], published: dict[str, Any] | None) -> dict[str, Any] | None:
    recorded: dict[str, Any] | None = None
    if state.get("last_failure_at"):
        recorded = {"snapshot_id": state.get("last_failure_snapshot_id"),
                    "at": parse_time(state["last_failure_at"]), "error": state.get("last_error")}
    candidates = [f for f in (recorded, published) if f]
    return max(candidates, key=lambda f: f["at"]) if candidates else None


def _catalog_facts(data_dir: Path | str) -> dict[str, Any]:
    path = catalog_path(Path(data_dir))
    empty: dict[str, Any] = {"last_success": None, "last_failure": None, "counts": None, "schema_drift": [],
                             "unknown_gpu_plans": []}
    if not path.exists():
        return empty
    with catalog(data_dir) as con:
        row = con.execute(load_sql("queries/sql/catalog_facts.sql")).fetchall()[0]
        facts = dict(zip([d[0] for d in con.description], row))
        drift = _schema_drift(con)
        unknown_gpus = unknown_gpu_plans(con)
    success = None
    if facts["last_ok_snapshot_id"] is not None:
        success = {"snapshot_id": facts["last_ok_snapshot_id"], "observed_at": facts["last_ok_started_at"],
                   "finished_at": facts["last_ok_finished_at"], "change_count": facts["last_ok_change_count"],
                   "is_simulated": facts["last_ok_is_simulated"]}
    failure = None
    if facts["last_failed_snapshot_id"] is not None:
        failure = {"snapshot_id": facts["last_failed_snapshot_id"], "at": facts["last_failed_at"],
                   "error": facts["last_failed_error"]}
    counts = {k: facts[k] for k in ("snapshots_ok", "snapshots_failed", "changes", "regions", "plans",
                                    "in_stock_pairs")}
    return {"last_success": success, "last_failure": failure, "counts": counts, "schema_drift": drift,
            "unknown_gpu_plans": unknown_gpus}


def _schema_drift(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Unknown API fields with the snapshot that first had them ([] for a catalog older than the view)."""
    try:
        rows = con.execute(load_sql("queries/sql/schema_drift.sql")).fetchall()
    except duckdb.CatalogException:
        return []
    return [{"entity": e, "field": f, "first_snapshot_id": sid, "first_seen_at": at, "kind": kind, "json_type": t}
            for e, f, sid, at, kind, t in rows]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def render_status(status: dict[str, Any], now: datetime | None = None) -> str:
    """The `status` text: one labelled line per fact."""
    now = now or datetime.fromisoformat(status["checked_at"])
    lines = [("data directory", status["data_dir"]), ("collector", _collector_text(status)),
             ("last success", _success_text(status["last_success"])),
             ("last failure", _failure_text(status)), ("next run", _next_text(status, now)),
             ("stale", _stale_text(status)), ("counts", _counts_text(status["counts"])),
             ("schema drift", _drift_text(status.get("schema_drift") or []))]
    if status.get("unknown_gpu_plans"):
        lines.append(("unknown GPUs", _unknown_gpus_text(status["unknown_gpu_plans"])))
    if status.get("alerts"):
        lines.append(("alerts", _alerts_text(status["alerts"])))
    for name in status.get("damaged_files") or ():
        lines.append(("damaged", f"{name}: run `vultr-catalog repair --data-dir {status['data_dir']}`"))
    return terminal_lines("\n".join(f"{label:<15} {text}" for label, text in lines))  # API names, errors: escaped


def _when(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%SZ") if iso else "never"


def _collector_text(status: dict[str, Any]) -> str:
    c, schedule = status["collector"], status["schedule"]
    if not c["is_running"]:
        return f"not running (last stopped {_when(c.get('stopped_at'))})" if c.get("stopped_at") else "not running"
    every = f", cron {schedule['cron']}" if schedule.get("cron") else (
        f", every {format_duration(schedule['interval_s'])}" if schedule.get("interval_s") else "")
    return f"running: `vultr-catalog {c['command']}` PID {c['pid']}, since {_when(c['started_at'])}{every}"


def _success_text(success: dict[str, Any] | None) -> str:
    if not success:
        return "none yet"
    demo = " (demo data)" if success["is_simulated"] else ""
    return (f"snapshot {success['snapshot_id']}{demo} finished {_when(success['finished_at'])}"
            f" ({format_duration(success['age_s'])} ago), {success['change_count'] or 0} changes")


def _failure_text(status: dict[str, Any]) -> str:
    failure = status["last_failure"]
    if not failure:
        return "none"
    snapshot = f"snapshot {failure['snapshot_id']} " if failure.get("snapshot_id") else ""
    streak = status.get("consecutive_failures") or 0
    since = f" ({streak} in a row)" if streak > 1 else ""
    return f"{snapshot}at {_when(failure['at'])}{since}: {failure['error']}"


def _next_text(status: dict[str, Any], now: datetime) -> str:
    at = status["schedule"]["next_run_at"]
    if not at:
        return "not scheduled"
    delta = (datetime.fromisoformat(at) - now).total_seconds()
    return f"{_when(at)} (in {format_duration(max(delta, 0))})"


def _stale_text(status: dict[str, Any]) -> str:
    word = "YES" if status["is_stale"] else "no"
    default = "; the default: no schedule interval recorded" if status.get("stale_after_is_default") else ""
    return f"{word} (stale after {format_duration(status['stale_after_s'])} without a successful snapshot{default})"


def _counts_text(counts: dict[str, Any] | None) -> str:
    if not counts:
        return "no published catalog yet"
    return (f"{counts['snapshots_ok']} snapshots ok, {counts['snapshots_failed']} failed (published),"
            f" {counts['changes']} changes; now {counts['regions']} regions, {counts['plans']} plans,"
            f" {counts['in_stock_pairs']} (region, plan) pairs in stock")


def _alerts_text(alerts: dict[str, Any]) -> str:
    error = f"; last error: {alerts['last_error']}" if alerts.get("last_error") and alerts.get("pending") else ""
    return (f"{alerts.get('delivered', 0)} delivered, {alerts.get('pending', 0)} pending,"
            f" {alerts.get('abandoned', 0)} abandoned{error}")


def _unknown_gpus_text(plan_ids: list[str]) -> str:
    return (f"{len(plan_ids)} GPU plan(s) whose GPU type or memory the API omits and no table or plan id "
            f"gives; GPU filters cannot judge them: {', '.join(plan_ids)}")


def _drift_text(drift: list[dict[str, Any]]) -> str:
    if not drift:
        return "none (every field the API sends is modelled, as the type it was first sent as)"
    fields = "; ".join(f"{d['entity']} field `{d['field']}`{_retyped(d)} since snapshot {d['first_snapshot_id']}"
                       f" ({_when(d['first_seen_at'])})" for d in drift)
    return f"{len(drift)} unknown or retyped API field(s), kept in raw: {fields}"


def _retyped(drift: dict[str, Any]) -> str:
    return f" sent as {drift['json_type']}" if drift.get("kind") == "type_change" else ""
