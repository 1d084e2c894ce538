"""`vultr-catalog repair`: keep a damaged warehouse aside, salvage its readable raw rows into a fresh
one, rebuild history from them and republish. Raw is the source of truth, so whatever raw survives
is enough to re-derive everything else; snapshots whose bodies were lost are marked failed.

When raw was lost for snapshots the published catalog still shows (a tiny file cut in half keeps
nothing readable), replaying what is left would publish less history than readers already have.
Then the history is restored from the published catalog (its snapshots, history tables, changes and
API fields), and only salvaged snapshots newer than the catalog are replayed on top. Those restored
snapshots have no raw behind them: `rebuild` refuses to drop them, and the outcome says so."""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import CatalogError, first_line
from pipeline.lock import collector_lock
from pipeline.paths import catalog_path, warehouse_path
from pipeline.sql import fetch_value, quote_literal
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import PUBLISHED_TABLES, publish
from pipeline.warehouse.rawstore import clear_cache, get_body
from pipeline.warehouse.rebuild import apply_replayed, replay
from pipeline.warehouse.requestlog import RequestKey
from pipeline.warehouse.store import answers_hash

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
    restored: int = 0  # applied snapshots whose history came from the published catalog
    restored_up_to: int | None = None  # the catalog's last snapshot
    unrecoverable: int = 0  # of those, how many the salvaged raw could not have re-derived
    is_published: bool = False


def repair(data_dir: Path) -> RepairResult:
    """Under the writer lock: build the repaired warehouse beside the damaged one (salvage, restore,
    replay, publish), then swap it in and keep the damaged file (and its .wal) aside. A failure on
    the way leaves the data directory exactly as it was."""
    path = warehouse_path(data_dir)
    if not path.exists():
        raise CatalogError(f"no warehouse in {data_dir}: nothing to repair (run `vultr-catalog collect`)")
    with collector_lock(data_dir, "repair"):
        if _is_readable(data_dir):  # only the catalog is damaged: publishing a fresh one is the repair
            with warehouse.open_warehouse(data_dir) as con:
                publish(con, data_dir)
                count = int(fetch_value(con, "select count(*) from snapshots"))
                bodies = int(fetch_value(con, "select count(*) from raw_bodies"))
            return RepairResult(None, count, count, 0, bodies, is_published=True)
        building = path.with_name(f".{path.name}.repair.tmp")
        try:
            result = _build(data_dir, path, _remove_files(building))
        except Exception as exc:
            with contextlib.suppress(OSError):
                _remove_files(building)
            raise CatalogError(f"repair failed ({first_line(exc)[:200]}); nothing was changed: the damaged "
                               f"warehouse is still {path} and the published catalog is as it was") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                _remove_files(building)
            raise
        result.kept_aside = _swap_in(path, building)
    log.warning("repair: %s kept aside; %d snapshots, %d lost, %d restored from the catalog", result.kept_aside,
                result.snapshots, result.lost, result.restored)
    return result


def _build(data_dir: Path, damaged: Path, building: Path) -> RepairResult:
    """The repaired warehouse, in the file `building`; the catalog published from it if it applied any."""
    with warehouse.open_warehouse(data_dir, building) as con:
        _salvage(con, damaged)
        lost = _drop_unreadable(con)
        restored, last, unrecoverable = _restore_from_catalog(con, data_dir)
        _restart_sequence(con)
        result = apply_replayed(con, last) if restored else replay(con)
        is_published = bool(result.applied)  # else the last published catalog stays as it is
        if is_published:
            publish(con, data_dir)
        bodies = int(fetch_value(con, "select count(*) from raw_bodies"))
        con.execute("checkpoint")  # nothing left in a .wal: the file alone is the warehouse
    return RepairResult(None, result.snapshots, result.applied, lost, bodies, restored,
                        last if restored else None, unrecoverable, is_published)


def _remove_files(path: Path) -> Path:
    """Remove a DuckDB file and its .wal (a repair killed half-way left them)."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)
    return path


def _swap_in(path: Path, building: Path) -> Path:
    """Move the damaged file (and its .wal) aside and the repaired one in its place; where it went."""
    aside = _move_aside(path)
    os.replace(building, path)
    return aside


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
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, aside)
    wal = Path(f"{path}.wal")
    if wal.exists():
        os.replace(wal, Path(f"{aside}.wal"))
    return aside


def _salvage(con: duckdb.DuckDBPyConnection, damaged: Path) -> None:
    """Copy every readable row of the raw and meta tables; chunk by chunk, skipping unreadable ones."""
    try:
        con.execute(f"attach {quote_literal(str(damaged))} as damaged (read_only)")
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
    """Drop bodies that do not decode (or whose delta base is gone); mark failed every snapshot whose
    history stood but whose salvaged answers no longer add up to it. Returns how many were lost."""
    clear_cache()
    bad = []
    for (body_id,) in con.execute("select body_id from raw_bodies order by body_id").fetchall():
        try:
            get_body(con, body_id)
        except Exception:  # any decode failure means the body is lost
            bad.append(body_id)
    if bad:
        con.execute("delete from raw_bodies where body_id in (select unnest(cast(? as integer[])))", [bad])
    lost = _incomplete(con)
    # content_hash cleared too: its history no longer stands (status.history_stands), rebuild skips it
    con.execute("update snapshots set status = 'failed', error = ?, content_hash = null"
                " where snapshot_id in (select unnest(cast(? as integer[])))", [LOST, lost])
    return len(lost)


def _incomplete(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Applied snapshots whose salvaged 200 answers do not hash to the content hash they were applied
    with: a request-log row or a body was lost (or the snapshot's history was restored from a catalog
    by an earlier repair and never had raw). Replaying one of them would record its missing answers
    as removals."""
    answers: dict[int, list[tuple[RequestKey, str]]] = {}
    hashes: dict[int, str | None] = {}
    for snapshot_id, content_hash, endpoint, path, params, digest in con.execute(_ANSWERS).fetchall():
        hashes[snapshot_id] = content_hash
        answers.setdefault(snapshot_id, [])
        if endpoint is not None:
            answers[snapshot_id].append(((endpoint, path, params), digest or ""))
    return [snapshot_id for snapshot_id, content_hash in hashes.items()
            if not answers[snapshot_id] or (content_hash is not None
                                            and answers_hash(sorted(answers[snapshot_id])) != content_hash)]


_ANSWERS = """
    select a.snapshot_id, a.content_hash, r.endpoint, r.path, r.params, b.body_hash
    from _applied_snapshots a
    left join _request_runs r
      on r.status = 200 and a.snapshot_id between r.first_snapshot_id and r.last_snapshot_id
    left join raw_bodies b on b.body_id = r.body_id
    order by a.snapshot_id
"""


def _restore_from_catalog(con: duckdb.DuckDBPyConnection, data_dir: Path) -> tuple[int, int, int]:
    """(applied snapshots restored, the catalog's last snapshot id, how many of them the salvaged raw
    could not re-derive) when the readable published catalog shows any such snapshot; else (0, 0, 0),
    nothing touched."""
    try:
        con.execute(f"attach {quote_literal(str(catalog_path(data_dir)))} as published (read_only)")
    except duckdb.Error as exc:
        log.warning("repair: no readable published catalog to restore from (%s)", first_line(exc))
        return 0, 0, 0
    try:
        missing = fetch_value(con, "select count(*) from published.snapshots p where status = 'ok' and not exists"
                                   " (select 1 from main.snapshots s where s.snapshot_id = p.snapshot_id"
                                   " and s.status = 'ok')")
        if not missing:
            return 0, 0, 0
        last = int(fetch_value(con, "select max(snapshot_id) from published.snapshots"))
        _copy_published(con, last)
        restored = int(fetch_value(con, "select count(*) from published.snapshots where status = 'ok'"))
    except duckdb.Error as exc:
        log.warning("repair: the published catalog does not read back (%s): nothing restored", first_line(exc))
        return 0, 0, 0
    finally:
        con.execute("detach published")
    return restored, last, int(missing)


def _copy_published(con: duckdb.DuckDBPyConnection, last: int) -> None:
    """In one transaction: the catalog's snapshots (up to its last) and every published table replace
    what the salvage gave for them."""
    con.execute("begin")
    try:
        con.execute("delete from main.snapshots where snapshot_id <= ?", [last])
        for table in PUBLISHED_TABLES:  # names from the publish list, never from input
            if table != "snapshots":
                con.execute(f"delete from main.{table}")
            con.execute(f"insert into main.{table} by name select * from published.{table}")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def _restart_sequence(con: duckdb.DuckDBPyConnection) -> None:
    """New snapshot ids continue after the salvaged ones."""
    start = int(fetch_value(con, "select coalesce(max(snapshot_id), 0) + 1 from snapshots"))
    con.execute("drop sequence if exists snapshot_ids")
    con.execute(f"create sequence snapshot_ids start {start}")  # an integer from the warehouse itself
