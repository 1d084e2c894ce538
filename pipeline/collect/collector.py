"""One collection: fetch every endpoint, keep it raw, apply it to history, publish. All or nothing.

`collect` is the whole step, for the CLI and the schedule alike: the writer lock (taken once), the
snapshots a killed run left `running` marked failed, the collection and its publish, the outcome in
the state file for `status`, and the caller's hooks (alerts) around it.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import requests

from pipeline.calls import Call
from pipeline.collect.http import HttpClient
from pipeline.collect.sources import fetch_catalog, fetch_stock
from pipeline.config import Settings
from pipeline.errors import AnomalyError, CatalogError, ConfigError, UnexpectedError, first_line
from pipeline.lock import collector_lock
from pipeline.paths import catalog_path
from pipeline.sql import fetch_value
from pipeline.state import read_state, update_state
from pipeline.status import SnapshotStatus
from pipeline.warehouse import stock
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish, remove_stale_temp_files
from pipeline.warehouse.scrub import scrub_stored_secrets
from pipeline.warehouse.transform import ApplyResult, apply_snapshot

log = logging.getLogger(__name__)
FAKE_NOW_HEADER = "X-Fake-Now"  # emulator-only: serve the catalog as of a simulated instant


@dataclass
class CollectResult:
    snapshot_id: int
    status: SnapshotStatus
    started_at: datetime
    request_count: int
    change_count: int
    is_baseline: bool
    elapsed_s: float
    warnings: tuple[str, ...] = ()


class CollectHook(Protocol):
    """Work around one collection, under its lock (the alerts: fix the cursor, then match and deliver).
    `after` runs whether the collection succeeded or not and must not raise."""

    def before(self, data_dir: Path) -> None: ...

    def after(self, data_dir: Path) -> None: ...


def collect(settings: Settings, at: datetime | None = None, accept_anomalies: bool = False,
            hooks: Sequence[CollectHook] = (), command: str = "collect", kind: str = "full") -> CollectResult:
    """Collect one snapshot (kind full: the whole catalog; stock: availability of the catalog's regions
    only) into the warehouse and publish the catalog; raise CatalogError on failure (UnexpectedError,
    with the original as its cause, for anything else). Holds the data directory's single-writer lock
    (WriterBusyError if another collector has it; `schedule` holds it already)."""
    with collector_lock(settings.data_dir, command):
        for hook in hooks:
            hook.before(settings.data_dir)
        try:
            result = _collect_and_publish(settings, at, accept_anomalies, kind)
        except Exception as exc:
            _record_outcome(settings.data_dir, error=exc)
            raise
        finally:
            for hook in hooks:
                hook.after(settings.data_dir)
        _record_outcome(settings.data_dir, result=result)
    return result


def _collect_and_publish(settings: Settings, at: datetime | None, accept_anomalies: bool,
                         kind: str) -> CollectResult:
    with warehouse.open_warehouse(settings.data_dir) as con:
        remove_stale_temp_files(settings.data_dir)
        if scrub_stored_secrets(con) and catalog_path(settings.data_dir).exists():
            publish(con, settings.data_dir)  # an older catalog may hold the key too
        warehouse.mark_interrupted(con)
        result = collect_into(con, settings, at, accept_anomalies, kind=kind)
        publish_or_fail(con, settings.data_dir, result.snapshot_id)
    return result


def publish_or_fail(con: duckdb.DuckDBPyConnection, data_dir: Path, snapshot_id: int) -> None:
    """Publish; if that fails, the snapshot is recorded failed (readers never saw it), and the
    error says so."""
    try:
        publish(con, data_dir)
    except Exception as exc:
        error = CatalogError(f"publishing the catalog failed: {first_line(exc)}; readers keep the previous one")
        try:
            warehouse.finish_snapshot(con, snapshot_id, SnapshotStatus.FAILED, str(error))
        except duckdb.Error as record_exc:  # the same full disk: the error line still says what happened
            log.warning("snapshot=%d could not be marked failed: %s", snapshot_id, first_line(record_exc))
        log.info("snapshot=%d status=failed error=%s", snapshot_id, error)
        raise error from None


def _record_outcome(data_dir: Path, result: CollectResult | None = None, error: Exception | None = None) -> None:
    """The state file's view of the last run, for `status` (the catalog publishes failures only later).
    It only feeds `status`: failing to write it (a full disk) after the catalog was published is a
    warning, never the collection's error (nor a mask over the real one)."""
    now = datetime.now(UTC)
    try:
        if result is not None:
            update_state(data_dir, pid=os.getpid(), last_run_at=now, last_success_at=now,
                         last_snapshot_id=result.snapshot_id, consecutive_failures=0)
            return
        streak = int(read_state(data_dir).get("consecutive_failures") or 0) + 1
        update_state(data_dir, pid=os.getpid(), last_run_at=now, last_failure_at=now,
                     last_error=str(error) or type(error).__name__, consecutive_failures=streak)
    except OSError as exc:
        log.warning("the state file in %s could not be written (%s); `status` may be out of date",
                    data_dir, exc.strerror or exc)


def collect_into(con: duckdb.DuckDBPyConnection, settings: Settings, at: datetime | None = None,
                 accept_anomalies: bool = False, session: requests.Session | None = None,
                 kind: str = "full") -> CollectResult:
    """Collect and apply one snapshot on an open warehouse without publishing (demo and bench batch
    this, passing one `session` so connections are reused across snapshots)."""
    started = time.perf_counter()
    started_at = at or datetime.now(UTC)
    if at is not None:
        check_forward(con, at)
    targets = stock_targets(con, settings.api_version) if kind == "stock" else None
    headers = {FAKE_NOW_HEADER: started_at.isoformat()} if at else {}
    client = HttpClient(settings, extra_headers=headers, session=session)
    snapshot_id = warehouse.start_snapshot(con, settings.api_version, settings.base_url, started_at,
                                           at is not None, kind)
    try:
        return _fetch_and_apply(con, client, snapshot_id, started_at, accept_anomalies, started, targets)
    finally:
        if session is None:
            client.close()


def stock_targets(con: duckdb.DuckDBPyConnection, api_version: str) -> list[str]:
    """What a stock poll asks about: the current catalog's region ids (v2) or DCIDs (v1). A region
    launched since the last full collection is not among them: the next full collection finds it."""
    column = "dcid" if api_version == "v1" else "region_id"
    rows = con.execute(f"select {column} from regions_history where valid_to is null and {column} is not null"
                       f" order by {column}").fetchall()
    if not rows:
        raise ConfigError(f"a stock poll needs a catalog with {api_version} regions to poll: "
                          "run a full `vultr-catalog collect` first")
    return [row[0] for row in rows]


def _fetch_and_apply(con: duckdb.DuckDBPyConnection, client: HttpClient, snapshot_id: int,
                     started_at: datetime, accept_anomalies: bool, started: float,
                     stock_regions: list[str] | None) -> CollectResult:
    kind = "full" if stock_regions is None else "stock"
    try:
        if stock_regions is None:
            fetch_catalog(client)
        else:
            fetch_stock(client, stock_regions)
    except Exception as exc:  # anything, not only ours: the snapshot must not stay `running`
        _record_failure(con, client, snapshot_id, SnapshotStatus.FAILED, exc)
        raise _as_catalog_error(exc) from (None if isinstance(exc, CatalogError) else exc)
    try:
        changes, is_baseline = ingest(con, snapshot_id, client.settings.api_version, client.calls,
                                      started_at, accept_anomalies, kind)
    except Exception as exc:
        status = SnapshotStatus.REJECTED if isinstance(exc, AnomalyError) else SnapshotStatus.FAILED
        _record_failure(con, client, snapshot_id, status, exc)  # ingest rolled back: store raw now
        raise _as_catalog_error(exc) from (None if isinstance(exc, CatalogError) else exc)
    elapsed = time.perf_counter() - started
    log.info("snapshot=%d kind=%s status=ok requests=%d changes=%d seconds=%.2f",
             snapshot_id, kind, len(client.calls), changes, elapsed)
    warnings = fetch_value(con, "select warnings from snapshots where snapshot_id = ?", [snapshot_id])
    return CollectResult(snapshot_id, SnapshotStatus.OK, started_at, len(client.calls), changes, is_baseline, elapsed,
                         tuple(warnings.split(" | ")) if warnings else ())


def ingest(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, calls: list[Call],
           started_at: datetime, accept_anomalies: bool = False, kind: str = "full") -> tuple[int, bool]:
    """Store fetched calls raw, apply them to history (skipped when every answer equals those the history
    was applied from) and mark the snapshot ok, in one transaction (one commit: a minute cadence pays
    one WAL sync per poll). Returns (change_count, is_baseline); raises CatalogError with nothing
    stored (the caller records the failure and keeps the raw answers)."""
    with stock.lean_planning(con) if kind == "stock" else nullcontext():
        return _ingest(con, snapshot_id, api_version, calls, started_at, accept_anomalies, kind)


def _ingest(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, calls: list[Call],
            started_at: datetime, accept_anomalies: bool, kind: str) -> tuple[int, bool]:
    con.execute("begin")
    try:
        stored = warehouse.store_calls(con, snapshot_id, calls)

        def mark_ok(applied: ApplyResult) -> None:
            warehouse.finish_snapshot(
                con, snapshot_id, SnapshotStatus.OK, request_count=len(calls), content_hash=stored.content_hash,
                change_count=applied.change_count, is_baseline=applied.is_baseline,
                has_accepted_anomalies=bool(applied.anomalies),
                warnings=" | ".join(applied.warnings) if applied.warnings else None)

        if stored.is_repeat:  # the previous snapshot was applied with these answers: nothing to apply
            applied = ApplyResult()
            mark_ok(applied)
        else:
            applied = apply_snapshot(con, snapshot_id, api_version, started_at, accept_anomalies,
                                     before_commit=mark_ok, own_transaction=False, kind=kind, bodies=stored.bodies,
                                     answers=stored.answers, previous_bodies=stored.previous_bodies,
                                     active_holds=stored.active_holds)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return applied.change_count, applied.is_baseline


def _as_catalog_error(exc: Exception) -> CatalogError:
    if isinstance(exc, CatalogError):
        return exc
    return UnexpectedError(f"unexpected {type(exc).__name__} while collecting: {first_line(exc)}")


def check_forward(con: duckdb.DuckDBPyConnection, at: datetime) -> None:
    """History only moves forward: a simulated time before the latest applied snapshot is refused."""
    latest = fetch_value(con, "select max(started_at) from snapshots where status = ?", [SnapshotStatus.OK])
    if latest is not None and at <= latest:
        raise ConfigError(f"--at {at.isoformat()} is not after the latest snapshot ({latest.isoformat()}): "
                          "history only moves forward; use another --data-dir")


def _record_failure(con: duckdb.DuckDBPyConnection, client: HttpClient, snapshot_id: int,
                    status: SnapshotStatus, exc: Exception) -> None:
    warehouse.store_calls(con, snapshot_id, client.calls)
    warehouse.finish_snapshot(con, snapshot_id, status, str(_as_catalog_error(exc)), request_count=len(client.calls))
    log.info("snapshot=%d status=%s error=%s", snapshot_id, status, exc)  # the caller reports it
