"""Re-derive staging, history and changes from the raw layer alone (raw is the source of truth)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.entities import ENTITIES
from pipeline.errors import CatalogError
from pipeline.lock import collector_lock
from pipeline.sql import fetch_value, load_sql
from pipeline.status import SnapshotStatus
from pipeline.warehouse import holds
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish
from pipeline.warehouse.requestlog import snapshot_bodies
from pipeline.warehouse.transform import apply_snapshot

log = logging.getLogger(__name__)


@dataclass
class RebuildResult:
    snapshots: int
    applied: int
    changes: int
    seconds: float


def rebuild(data_dir: Path, progress: Callable[[int, int], None] | None = None) -> RebuildResult:
    """Empty every history table and catalog_changes, replay every applied snapshot in order, publish.
    Holds the single-writer lock; all or nothing (one transaction). `progress(done, total)` follows
    the replay, snapshot by snapshot."""
    started = time.perf_counter()
    if not warehouse.warehouse_path(data_dir).exists():
        raise CatalogError(f"no warehouse in {data_dir}: nothing to rebuild (run `vultr-catalog collect` first)")
    with collector_lock(data_dir, "rebuild"), warehouse.open_warehouse(data_dir) as con:
        result = replay(con, progress)
        publish(con, data_dir)
    result.seconds = time.perf_counter() - started
    return result


def replay(con: duckdb.DuckDBPyConnection, progress: Callable[[int, int], None] | None = None) -> RebuildResult:
    """In one transaction: a failure half-way leaves the history exactly as it was."""
    con.execute("begin")
    try:
        result = _replay(con, progress)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return result


def _replay(con: duckdb.DuckDBPyConnection, progress: Callable[[int, int], None] | None) -> RebuildResult:
    _refuse_without_raw(con)
    for entity in ENTITIES:
        con.execute(f"delete from {entity.history}")
    con.execute("delete from catalog_changes")
    con.execute("delete from _applied_bodies")
    con.execute("delete from api_fields")
    con.execute("delete from availability_holds")
    return apply_replayed(con, 0, progress)


def _refuse_without_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Applied snapshots with no raw at all (their history was restored from the published catalog by
    `repair`) cannot be re-derived: replaying them would empty the history, so nothing is touched."""
    ids = [row[0] for row in con.execute(
        "select snapshot_id from snapshots s where status = 'ok' and not exists (select 1 from _request_runs r"
        " where s.snapshot_id between r.first_snapshot_id and r.last_snapshot_id) order by snapshot_id").fetchall()]
    if ids:
        raise CatalogError(f"{len(ids)} applied snapshot(s) ({ids[0]}-{ids[-1]}) have no raw bodies (their history "
                           "was restored from the published catalog by `repair`): a rebuild from raw would drop "
                           "it, so nothing was changed")


def apply_replayed(con: duckdb.DuckDBPyConnection, after_id: int,
                   progress: Callable[[int, int], None] | None = None) -> RebuildResult:
    """Apply, in order, every snapshot rebuild replays with an id above after_id, onto the history as it is."""
    snapshots = int(fetch_value(con, "select count(*) from snapshots where status = ?", [SnapshotStatus.OK]))
    applied = 0
    listed = [row for row in con.execute(load_sql("warehouse/sql/checks/replay.sql")).fetchall() if row[0] > after_id]
    # the answers of the snapshot replayed last: a snapshot skipped in between got the same answer to
    # every request it asked (it may have asked fewer: then more is compared than collecting did, and a
    # compared answer that is equal changes nothing either way)
    previous, active = None, holds.active_holds(con)
    for done, (snapshot_id, api_version, kind, started_at, must_replay) in enumerate(listed, start=1):
        if must_replay or active:  # a held region is judged by the next snapshot, as when collected
            bodies = snapshot_bodies(con, snapshot_id)
            result = apply_snapshot(con, snapshot_id, api_version, started_at, accept_anomalies=True,
                                    own_transaction=False, kind=kind, bodies=bodies, previous_bodies=previous,
                                    active_holds=active)
            previous = bodies
            active = (active - set(result.holds.confirmed) - set(result.holds.recovered)) | set(result.holds.held)
            applied += result.is_applied  # the same test as when collected: answers equal to the applied ones
        if progress:
            progress(done, len(listed))
    changes = fetch_value(con, "select count(*) from catalog_changes")
    log.info("rebuild: %d snapshots, %d applied, %d changes", snapshots, applied, changes)
    return RebuildResult(snapshots, applied, int(changes), 0.0)
