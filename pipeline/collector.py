"""One collection: fetch every endpoint, keep it raw, apply it to history, publish. All or nothing."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import requests

from pipeline import warehouse
from pipeline.config import Settings
from pipeline.errors import AnomalyError, CatalogError
from pipeline.http import Call, HttpClient
from pipeline.lock import collector_lock
from pipeline.publish import publish
from pipeline.sources import fetch_catalog
from pipeline.sql import fetch_value
from pipeline.transform import apply_snapshot

log = logging.getLogger(__name__)
FAKE_NOW_HEADER = "X-Fake-Now"  # emulator-only: serve the catalog as of a simulated instant


@dataclass
class CollectResult:
    snapshot_id: int
    status: str
    started_at: datetime
    request_count: int
    change_count: int
    is_baseline: bool
    elapsed_s: float


def collect(settings: Settings, at: datetime | None = None, accept_anomalies: bool = False) -> CollectResult:
    """Collect one snapshot into the warehouse and publish the catalog; raise CatalogError on failure.
    Holds the data directory's single-writer lock (WriterBusyError if another collector has it)."""
    with collector_lock(settings.data_dir, "collect"), warehouse.open_warehouse(settings.data_dir) as con:
        result = collect_into(con, settings, at, accept_anomalies)
        publish(con, settings.data_dir)
    return result


def collect_into(con: duckdb.DuckDBPyConnection, settings: Settings, at: datetime | None = None,
                 accept_anomalies: bool = False, session: requests.Session | None = None) -> CollectResult:
    """Collect and apply one snapshot on an open warehouse without publishing (demo and bench batch
    this, passing one `session` so connections are reused across snapshots)."""
    started = time.perf_counter()
    started_at = at or datetime.now(timezone.utc)
    headers = {FAKE_NOW_HEADER: started_at.isoformat()} if at else {}
    client = HttpClient(settings, extra_headers=headers, session=session)
    snapshot_id = warehouse.start_snapshot(con, settings.api_version, settings.base_url, started_at, at is not None)
    try:
        return _fetch_and_apply(con, client, snapshot_id, started_at, accept_anomalies, started)
    finally:
        if session is None:
            client.close()


def _fetch_and_apply(con: duckdb.DuckDBPyConnection, client: HttpClient, snapshot_id: int,
                     started_at: datetime, accept_anomalies: bool, started: float) -> CollectResult:
    try:
        fetch_catalog(client)
    except CatalogError as exc:
        _record_failure(con, client, snapshot_id, "failed", exc)
        raise
    try:
        changes, is_baseline = ingest(con, snapshot_id, client.settings.api_version, client.calls,
                                      started_at, accept_anomalies)
    except CatalogError as exc:
        status = "rejected" if isinstance(exc, AnomalyError) else "failed"
        _record_failure(con, client, snapshot_id, status, exc, stored=True)
        raise
    elapsed = time.perf_counter() - started
    log.info("snapshot=%d status=ok requests=%d changes=%d seconds=%.2f",
             snapshot_id, len(client.calls), changes, elapsed)
    return CollectResult(snapshot_id, "ok", started_at, len(client.calls), changes, is_baseline, elapsed)


def ingest(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, calls: list[Call],
           started_at: datetime, accept_anomalies: bool = False) -> tuple[int, bool]:
    """Store fetched calls raw and apply them to history (skipped when every body is unchanged);
    mark the snapshot ok. Returns (change_count, is_baseline); raises CatalogError (nothing applied)."""
    content_hash = warehouse.store_calls(con, snapshot_id, calls)
    applied = None
    if not _unchanged(con, content_hash):
        applied = apply_snapshot(con, snapshot_id, api_version, started_at, accept_anomalies)
    changes = applied.change_count if applied else 0
    is_baseline = bool(applied and applied.is_baseline)
    warehouse.finish_snapshot(
        con, snapshot_id, "ok", request_count=len(calls), content_hash=content_hash, change_count=changes,
        is_baseline=is_baseline, has_accepted_anomalies=bool(applied and applied.anomalies),
    )
    return changes, is_baseline


def _unchanged(con: duckdb.DuckDBPyConnection, content_hash: str) -> bool:
    """Identical bodies to the last applied snapshot mean identical staging: skip the transforms."""
    last = fetch_value(con, "select content_hash from snapshots where status = 'ok' order by snapshot_id desc limit 1")
    return last == content_hash


def _record_failure(con: duckdb.DuckDBPyConnection, client: HttpClient, snapshot_id: int,
                    status: str, exc: Exception, stored: bool = False) -> None:
    if not stored:
        warehouse.store_calls(con, snapshot_id, client.calls)
    warehouse.finish_snapshot(con, snapshot_id, status, str(exc), request_count=len(client.calls))
    log.info("snapshot=%d status=%s error=%s", snapshot_id, status, exc)  # the caller reports it
