"""`vultr-catalog repair`: keep a damaged warehouse aside, salvage its readable raw rows into a fresh
one, rebuild history from them and republish. Raw is the source of truth, so whatever raw survives
is enough to re-derive everything else; snapshots whose bodies were lost are marked failed."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.errors import CatalogError, first_line
from pipeline.lock import collector_lock
from pipeline.paths import warehouse_path
from pipeline.sql import fetch_value, quote_literal
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish
from pipeline.warehouse.rawstore import clear_cache, get_body
from pipeline.warehouse.rebuild import replay

log = logging.getLogger(__name__)
SALVAGED = ("snapshots", "raw_bodies", "_request_runs", "alert_cursor", "alert_outbox")
CHUNK_ROWS = 2048
LOST = "repair: raw bodies of this snapshot were unreadable"


@dataclass
class RepairResult:
    kept_aside: Path | None
    snapshots: int
    applied: int
    lost: int
    bodies: int


def repair(data_dir: Path) -> RepairResult:
    """Under the writer lock: move warehouse.duckdb (and its .wal) aside, salvage, replay, publish."""
    path = warehouse_path(data_dir)
    if not path.exists():
        raise CatalogError(f"no warehouse in {data_dir}: nothing to repair (run `vultr-catalog collect`)")
    with collector_lock(data_dir, "repair"):
        if _is_readable(data_dir):  # only the catalog is damaged: publishing a fresh one is the repair
            with warehouse.open_warehouse(data_dir) as con:
                publish(con, data_dir)
                count = int(fetch_value(con, "select count(*) from snapshots"))
                bodies = int(fetch_value(con, "select count(*) from raw_bodies"))
            return RepairResult(None, count, count, 0, bodies)
        aside = _move_aside(path)
        with warehouse.open_warehouse(data_dir) as con:
            _salvage(con, aside)
            lost = _drop_unreadable(con)
            _restart_sequence(con)
            result = replay(con)
            if result.applied:  # nothing salvaged: keep the last published catalog rather than empty it
                publish(con, data_dir)
            bodies = int(fetch_value(con, "select count(*) from raw_bodies"))
    log.warning("repair: %s kept aside; %d snapshots, %d lost", aside, result.snapshots, lost)
    return RepairResult(aside, result.snapshots, result.applied, lost, bodies)


def _is_readable(data_dir: Path) -> bool:
    """Whether every row and column of the warehouse reads back (hashing whole rows reads them all)."""
    try:
        with warehouse.open_warehouse(data_dir) as con:
            for table in (*SALVAGED, *(row[0] for row in con.execute(
                    "select table_name from duckdb_tables() where database_name = current_database()"
                    " and table_name like '%history' or table_name = 'catalog_changes'").fetchall())):
                con.execute(f"select count(*), sum(hash({table})) from {table}").fetchall()
    except (CatalogError, duckdb.Error) as exc:
        log.warning("repair: the warehouse does not read back (%s)", first_line(exc))
        return False
    return True


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, aside)
    wal = Path(f"{path}.wal")
    if wal.exists():
        os.replace(wal, Path(f"{aside}.wal"))
    return aside


def _salvage(con: duckdb.DuckDBPyConnection, aside: Path) -> None:
    """Copy every readable row of the raw and meta tables; chunk by chunk, skipping unreadable ones."""
    try:
        con.execute(f"attach {quote_literal(str(aside))} as damaged (read_only)")
    except duckdb.Error as exc:
        log.warning("repair: the damaged file cannot be opened at all (%s): starting empty", first_line(exc))
        return
    try:
        for table in SALVAGED:
            _copy_table(con, table)
    finally:
        con.execute("detach damaged")


def _copy_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    # table names come from SALVAGED, never from input
    try:
        last = fetch_value(con, f"select max(rowid) from damaged.{table}")
    except duckdb.Error as exc:
        log.warning("repair: %s unreadable (%s)", table, first_line(exc))
        return
    for start in range(0, int(last or -1) + 1, CHUNK_ROWS):
        try:
            con.execute(f"insert into main.{table} by name select * from damaged.{table}"
                        f" where rowid between ? and ?", [start, start + CHUNK_ROWS - 1])
        except duckdb.Error as exc:
            log.warning("repair: %s rows %d.. unreadable (%s)", table, start, first_line(exc))


def _drop_unreadable(con: duckdb.DuckDBPyConnection) -> int:
    """Drop bodies that do not decode (or whose delta base is gone); mark snapshots that needed one
    failed. Returns how many snapshots were lost."""
    clear_cache()
    bad = []
    for (body_id,) in con.execute("select body_id from raw_bodies order by body_id").fetchall():
        try:
            get_body(con, body_id)
        except Exception:  # noqa: BLE001 - any decode failure means the body is lost
            bad.append(body_id)
    if bad:
        con.execute("delete from raw_bodies where body_id in (select unnest(cast(? as integer[])))", [bad])
    rows = con.execute(
        "update snapshots set status = 'failed', error = ? where status = 'ok' and exists ("
        " select 1 from _request_runs r where r.status = 200 and snapshots.snapshot_id between"
        " r.first_snapshot_id and r.last_snapshot_id and r.body_id not in (select body_id from raw_bodies))"
        " returning snapshot_id", [LOST]).fetchall()
    return len(rows)


def _restart_sequence(con: duckdb.DuckDBPyConnection) -> None:
    """New snapshot ids continue after the salvaged ones."""
    start = int(fetch_value(con, "select coalesce(max(snapshot_id), 0) + 1 from snapshots"))
    con.execute("drop sequence if exists snapshot_ids")
    con.execute(f"create sequence snapshot_ids start {start}")  # an integer from the warehouse itself
