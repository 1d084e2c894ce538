"""Re-derive staging, history and changes from the raw layer alone (raw is the source of truth)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.warehouse import history
from pipeline.warehouse import store as warehouse
from pipeline.errors import CatalogError
from pipeline.lock import collector_lock
from pipeline.warehouse.publish import publish
from pipeline.sql import fetch_value
from pipeline.warehouse.transform import apply_snapshot

log = logging.getLogger(__name__)


@dataclass
class RebuildResult:
    snapshots: int
    applied: int
    changes: int
    seconds: float


def rebuild(data_dir: Path) -> RebuildResult:
    """Empty every history table and catalog_changes, replay every applied snapshot in order, publish.
    Holds the single-writer lock; all or nothing (one transaction)."""
    started = time.perf_counter()
    if not warehouse.warehouse_path(data_dir).exists():
        raise CatalogError(f"no warehouse in {data_dir}: nothing to rebuild (run `vultr-catalog collect` first)")
    with collector_lock(data_dir, "rebuild"), warehouse.open_warehouse(data_dir) as con:
        result = replay(con)
        publish(con, data_dir)
    result.seconds = time.perf_counter() - started
    return result


def replay(con: duckdb.DuckDBPyConnection) -> RebuildResult:
    """In one transaction: a failure half-way leaves the history exactly as it was."""
    con.execute("begin")
    try:
        result = _replay(con)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return result


def _replay(con: duckdb.DuckDBPyConnection) -> RebuildResult:
    for entity in history.ENTITIES:
        con.execute(f"delete from {entity.history}")
    con.execute("delete from catalog_changes")
    rows = con.execute(
        "select snapshot_id, api_version, started_at, has_accepted_anomalies, content_hash"
        " from snapshots where status = 'ok' order by snapshot_id"
    ).fetchall()
    applied, previous_hash = 0, None
    for snapshot_id, api_version, started_at, accepted, content_hash in rows:
        if content_hash != previous_hash:  # identical bodies: nothing to apply (as when collected)
            apply_snapshot(con, snapshot_id, api_version, started_at, accept_anomalies=True, own_transaction=False)
            applied += 1
        previous_hash = content_hash
    changes = fetch_value(con, "select count(*) from catalog_changes")
    log.info("rebuild: %d snapshots, %d applied, %d changes", len(rows), applied, changes)
    return RebuildResult(len(rows), applied, int(changes), 0.0)
