"""Publish the read catalog: build a fresh file, then os.replace it over <data-dir>/catalog.duckdb.

Readers holding the old file keep a consistent old view until they reopen (Linux rename semantics),
so a reader can never block the collector, and no reader ever sees half a snapshot.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from pipeline.entities import HISTORY_TABLES
from pipeline.errors import directory_in_the_way
from pipeline.paths import CATALOG_FILE, catalog_path
from pipeline.sql import ROOT, create_model_table, define_rules, quote_literal, sql_files

log = logging.getLogger(__name__)
PUBLISHED_TABLES = ("snapshots", *HISTORY_TABLES, "catalog_changes", "api_fields")


def remove_stale_temp_files(data_dir: Path) -> int:
    """Temp catalogs (and their .wal) left by a publish that was killed. Only the lock holder
    publishes, so under the lock every one of them is stale."""
    stale = [p for pattern in (f".{CATALOG_FILE}.*.tmp", f".{CATALOG_FILE}.*.tmp.wal")
             for p in Path(data_dir).glob(pattern) if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        log.info("removed %d stale publish temp file(s)", len(stale))
    return len(stale)


def publish(con: duckdb.DuckDBPyConnection, data_dir: Path) -> Path:
    """Copy the published tables out of the warehouse into a new catalog file and swap it in."""
    target = catalog_path(data_dir)
    if target.is_dir():  # os.replace would fail with a bare errno after the whole copy
        raise directory_in_the_way(target)
    remove_stale_temp_files(data_dir)
    tmp = target.with_name(f".{CATALOG_FILE}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        _copy_tables(con, tmp)
        _write_known_fields(tmp)
        _create_views(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    log.info("published %s", target)
    return target


def _copy_tables(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    con.execute(f"attach {quote_literal(str(tmp))} as publish_target")
    try:
        for table in PUBLISHED_TABLES:
            order = {"snapshots": "snapshot_id", "catalog_changes": "snapshot_id",
                     "api_fields": "first_snapshot_id, entity, field, json_type"}.get(table, "valid_from")
            con.execute(f"create table publish_target.{table} as select * from main.{table} order by {order}")
    finally:
        con.execute("detach publish_target")


def _create_views(tmp: Path) -> None:
    """The rules' macros, the views and the as-of macros are created inside the new file so they resolve
    there when opened alone; then the derived tables (sql/derived/<table>.sql: private, read by queries,
    built from the published tables)."""
    con = duckdb.connect(str(tmp))
    try:
        define_rules(con)
        for path in sql_files("warehouse/sql/views"):
            con.execute(path.read_text(encoding="utf-8"))
        for path in sql_files("warehouse/sql/derived"):
            create_model_table(con, str(path.relative_to(ROOT)))
        con.execute("checkpoint")
    finally:
        con.close()


def _write_known_fields(tmp: Path) -> None:
    """The new file's private _known_api_fields: the fields this release's staging models read, what
    the schema_drift view compares api_fields with (imported here, where it is used)."""
    from pipeline.warehouse.drift import write_known_fields

    con = duckdb.connect(str(tmp))
    try:
        write_known_fields(con)
    finally:
        con.close()
