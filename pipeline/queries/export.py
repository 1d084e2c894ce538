"""`vultr-catalog export`: every public view and history table of the published catalog, as files
that bigger engines read as is (Spark, Trino, Athena, BigQuery external tables, DuckDB over S3).

Layout under the output directory (the same for parquet and csv):
  <view>.<ext>                                   public views (current state), one flat file each
  <table>/month=YYYY-MM/data_0.<ext>             history tables, Hive-partitioned by UTC month of
                                                 valid_from (catalog_changes: changed_at, snapshots: started_at)
  _manifest.json                                 what was written: tables, rows, layout, source snapshot

Only the published catalog is read (opened read-only), which never holds the API key; the export
refuses a non-empty output directory unless overwrite=True, and then replaces only its own paths.
"""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import CatalogError
from pipeline.queries import catalog, freshness
from pipeline.sql import quote_literal

log = logging.getLogger(__name__)
FORMATS = ("parquet", "csv")
MANIFEST = "_manifest.json"
PARTITION_COLUMN = "month"
# history tables and the timestamp whose UTC month names their partition
PARTITIONED_BY = {"catalog_changes": "changed_at", "snapshots": "started_at"}
DEFAULT_PARTITION_SOURCE = "valid_from"


class ExportError(CatalogError):
    """The export could not be written (output directory not empty, unknown format, ...)."""


@dataclass
class ExportedTable:
    name: str
    kind: str               # view | table
    rows: int
    path: str               # relative to the output directory
    partitioned_by: str | None = None
    size_bytes: int = 0


@dataclass
class ExportSummary:
    out_dir: Path
    format: str
    exported_at: datetime
    last_ok_snapshot_id: int | None
    is_demo: bool
    tables: list[ExportedTable] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def size_bytes(self) -> int:
        return sum(t.size_bytes for t in self.tables)


def export_catalog(out_dir: Path | str, fmt: str = "parquet", data_dir: Path | str | None = None,
                   overwrite: bool = False) -> ExportSummary:
    """Write every public view and history table of the catalog in data_dir to out_dir."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use {' or '.join(FORMATS)}")
    out = Path(out_dir)
    _check_out_dir(out, overwrite)
    with catalog(data_dir) as con:
        out.mkdir(parents=True, exist_ok=True)
        fresh = freshness(con)
        summary = ExportSummary(out, fmt, datetime.now(UTC), fresh["last_ok_snapshot_id"], fresh["is_demo"])
        for name, kind in public_relations(con):
            summary.tables.append(_export_one(con, out, name, kind, fmt))
    _write_manifest(summary)
    log.info("exported %d tables, %d rows, %d bytes to %s", len(summary.tables), summary.rows,
             summary.size_bytes, out)
    return summary


def public_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, 'view' | 'table') of every public relation in the catalog; underscore names are private."""
    rows = con.execute(
        "select table_name, case when table_type = 'VIEW' then 'view' else 'table' end "
        "from information_schema.tables "
        "where table_schema = 'main' and table_catalog = current_database() and not starts_with(table_name, '_') "
        "order by table_type, table_name").fetchall()
    return [(name, kind) for name, kind in rows]


def partition_source(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> str | None:
    """The timestamp column a table is partitioned by, or None for a flat file (views, and tables
    without a known timestamp)."""
    if kind == "view":
        return None
    column = PARTITIONED_BY.get(name, DEFAULT_PARTITION_SOURCE)
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = ? and table_catalog = current_database()",
        [name]).fetchall()}
    return column if column in columns else None


def _export_one(con: duckdb.DuckDBPyConnection, out: Path, name: str, kind: str, fmt: str) -> ExportedTable:
    source = partition_source(con, name, kind)
    ident = _identifier(name)
    options = _copy_options(fmt)
    if source is None:
        target = out / f"{name}.{fmt}"
        for other in FORMATS:  # an overwrite in another format must not leave stale flat files behind
            _remove(out / f"{name}.{other}")
        copy_relation(con, name, target, fmt)
    else:
        target = out / name
        _remove(target)
        target.mkdir(parents=True)
        month = f"strftime(timezone('UTC', {_identifier(source)}), '%Y-%m') as {PARTITION_COLUMN}"
        con.execute(f"copy (select *, {month} from {ident}) to {quote_literal(str(target))} "
                    f"({options}, partition_by ({PARTITION_COLUMN}))")
    rows = con.execute(f"select count(*) from {ident}").fetchall()[0][0]
    if source is not None and rows == 0:
        _write_empty_partition(con, target, ident, options, fmt)
    return ExportedTable(name, kind, rows, target.relative_to(out).as_posix(), source, _size(target))


def copy_relation(con: duckdb.DuckDBPyConnection, name: str, target: Path, fmt: str = "parquet") -> None:
    """One public view or table of the catalog as one flat file (`name` from public_relations, never input)."""
    con.execute(f"copy (select * from {_identifier(name)}) to {quote_literal(str(target))} ({_copy_options(fmt)})")


def _copy_options(fmt: str) -> str:
    return "format parquet" if fmt == "parquet" else "format csv, header true"


def _write_empty_partition(con: duckdb.DuckDBPyConnection, target: Path, ident: str, options: str, fmt: str) -> None:
    """An empty table still gets one zero-row file (in this month's partition), so readers see its
    schema: Spark cannot infer one from an empty directory and DuckDB finds no files to read."""
    month_dir = target / f"{PARTITION_COLUMN}={datetime.now(UTC):%Y-%m}"
    month_dir.mkdir()
    path = quote_literal(str(month_dir / f"data_0.{fmt}"))
    con.execute(f"copy (select * from {ident} limit 0) to {path} ({options})")


def _check_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ExportError(f"{out} is not empty: choose a new directory or pass --overwrite")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _identifier(name: str) -> str:
    """Quote a catalog-provided relation or column name (never user input)."""
    return '"' + name.replace('"', '""') + '"'


def _write_manifest(summary: ExportSummary) -> None:
    body = {
        "format": summary.format,
        "exported_at": summary.exported_at.isoformat(),
        "last_ok_snapshot_id": summary.last_ok_snapshot_id,
        "is_demo": summary.is_demo,
        "layout": f"views: <name>.{summary.format}; history: <name>/{PARTITION_COLUMN}=YYYY-MM/ (Hive, UTC month)",
        "tables": [asdict(t) for t in summary.tables],
    }
    (summary.out_dir / MANIFEST).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
