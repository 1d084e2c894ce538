"""The SQL console: a sandboxed, read-only connection that reaches the published catalog and nothing else.

A DuckDB connection opened `read_only` can still read any file (`read_text('/etc/passwd')`) and write
one (`copy ... to 'x.csv'`). The console therefore opens a private in-memory database (its own DuckDB
instance, so its settings never leak into other readers of the same file in this process), attaches
the catalog READ_ONLY, then disables external access and locks the configuration. On top of that,
only SELECT statements (and EXPLAIN [ANALYZE] around one: EXPLAIN ANALYZE executes what it wraps)
are accepted, one at a time, each with a row, a time, a memory and a spill limit; spill files go to a
private directory under the system temp, removed when the connection closes. Functions that reveal
paths or settings (duckdb_settings(), current_setting(), duckdb_databases(), ...) or run a string as
SQL (query(), query_table()) are refused. The dashboard console and `vultr-catalog sql` share this
one code path (run_console).
"""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.errors import CatalogError, first_line, looks_damaged
from pipeline.queries.core import damaged_catalog, nullable_ints, published_catalog
from pipeline.sql import quote_literal

if TYPE_CHECKING:  # pandas and pyarrow load on first use (the CLI's quick paths never need them)
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)
DEFAULT_ROW_LIMIT = 1000
DEFAULT_TIME_LIMIT_S = 10.0
CONSOLE_MEMORY_LIMIT = "1GB"
CONSOLE_SPILL_LIMIT = "1GB"  # DuckDB's default is 90% of the free disk, in <cwd>/.tmp
SPILL_PREFIX = "vultr-catalog-sql-"
_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
_EXPLAIN = re.compile(r"^(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*explain\s+(?:analy[sz]e\s+|\([^)]*\)\s*)?",
                      re.IGNORECASE | re.DOTALL)
# Functions and built-in views that show paths, settings or the environment (matched as words: the
# views need no parentheses), and functions that run a string as SQL (no statement check for it).
_PATH_REVEALING = ("duckdb_settings", "current_setting", "duckdb_databases", "pragma_database_list",
                   "duckdb_extensions", "duckdb_secrets", "which_secret", "duckdb_temporary_files",
                   "duckdb_logs", "getenv", "duckdb_memory", "pragma_storage_info")
_REFUSED_CALL = re.compile(r"\b(" + "|".join(_PATH_REVEALING) + r")\b|\b(query|query_table)\s*\(")
_REFUSALS = {
    "ATTACH": "ATTACH/DETACH is refused: the console reaches the published catalog and nothing else",
    "DETACH": "ATTACH/DETACH is refused: the console reaches the published catalog and nothing else",
    "LOAD": "INSTALL/LOAD is refused: extensions are disabled in the console",
    "COPY": "COPY/EXPORT is refused: the console never writes files (use the download buttons)",
    "EXPORT": "COPY/EXPORT is refused: the console never writes files (use the download buttons)",
}


class ConsoleError(CatalogError):
    """A console statement was refused, failed, or ran out of time; the message says which and why."""


@dataclass(frozen=True)
class ConsoleResult:
    frame: pd.DataFrame
    is_truncated: bool  # more rows than the row limit; only the first row_limit are kept
    elapsed_s: float


def open_console(data_dir: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A sandboxed connection: the catalog attached read-only, memory and spill limited (spill in a
    private directory under the system temp, which DuckDB removes on close), external access off,
    configuration locked."""
    path = published_catalog(data_dir)
    spill = Path(tempfile.gettempdir()) / f"{SPILL_PREFIX}{uuid.uuid4().hex[:12]}"
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(f"attach {quote_literal(str(path))} as catalog (read_only)")
        except duckdb.Error as exc:
            if looks_damaged(exc):
                raise damaged_catalog(path) from None
            raise
        con.execute("use catalog")
        con.execute(f"set memory_limit = '{CONSOLE_MEMORY_LIMIT}'")
        con.execute(f"set temp_directory = {quote_literal(str(spill))}")
        con.execute(f"set max_temp_directory_size = '{CONSOLE_SPILL_LIMIT}'")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but a single SELECT (or EXPLAIN [ANALYZE] SELECT), with a message naming what
    was refused and why."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    if not statements:
        raise ConsoleError("nothing to run: type a SELECT statement")
    if len(statements) > 1:
        raise ConsoleError("one statement at a time, please (found %d)" % len(statements))
    kind = statements[0].type
    if kind == duckdb.StatementType.EXPLAIN:
        _check_explained(con, statements[0].query)
    elif kind not in _ALLOWED:
        name = kind.name
        raise ConsoleError(_REFUSALS.get(name, f"{name} statements are refused: the console is read-only "
                                                "(SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE and EXPLAIN work)"))
    called = _REFUSED_CALL.search(query.lower().replace('"', ""))
    if called:
        raise ConsoleError(f"{called.group(1) or called.group(2)}() is refused in the console: it shows "
                           "paths or settings, or runs a string as SQL")


def _check_explained(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """EXPLAIN ANALYZE executes the statement it wraps: that statement must be a SELECT too."""
    inner = _EXPLAIN.sub("", text, count=1)
    try:
        statements = con.extract_statements(inner) if inner != text else []
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise ConsoleError("EXPLAIN and EXPLAIN ANALYZE are accepted only around a SELECT statement")


def run_console(query: str, data_dir: Path | str | None = None, row_limit: int = DEFAULT_ROW_LIMIT,
                time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> ConsoleResult:
    """Run one read-only statement in a fresh sandboxed connection, keeping at most row_limit rows and
    interrupting it after time_limit_s. Raises ConsoleError with a clear message on refusal or failure."""
    started = time.perf_counter()
    con = open_console(data_dir)
    timer = threading.Timer(time_limit_s, con.interrupt)
    try:
        check_statement(con, query)
        timer.start()
        table, is_truncated = _fetch_limited(con, query, row_limit)
    except duckdb.InterruptException:
        raise ConsoleError(f"stopped after the {time_limit_s:g} s time limit: narrow the query") from None
    except duckdb.OutOfMemoryException:
        raise ConsoleError(f"stopped at the console's memory limit ({CONSOLE_MEMORY_LIMIT}, spilling at most "
                           f"{CONSOLE_SPILL_LIMIT}): narrow the query or aggregate first") from None
    except duckdb.PermissionException:
        raise ConsoleError("reading or writing files is disabled in the console: only the catalog's "
                           "tables and views are reachable") from None
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise damaged_catalog(published_catalog(data_dir)) from None
        raise ConsoleError(first_line(exc)) from None
    finally:
        timer.cancel()
        close_console(con)
    frame = table.to_pandas(types_mapper=nullable_ints().get)
    return ConsoleResult(frame, is_truncated, time.perf_counter() - started)


def close_console(con: duckdb.DuckDBPyConnection) -> None:
    """Close, and make sure the spill directory is gone (DuckDB removes what it created, normally)."""
    try:
        spill = str(con.execute("select current_setting('temp_directory')").fetchone()[0])
    except duckdb.Error:
        spill = ""
    con.close()
    if Path(spill).name.startswith(SPILL_PREFIX):
        shutil.rmtree(spill, ignore_errors=True)


def public_columns(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The catalog's views and tables with their columns, for the console's reference panel."""
    query = """
        select table_name, table_type = 'VIEW' as is_view, string_agg(column_name, ', ' order by ordinal_position) as columns
        from information_schema.columns join information_schema.tables using (table_catalog, table_schema, table_name)
        where table_catalog = 'catalog' and table_schema = 'main'
        group by table_name, table_type order by not is_view, table_name
    """
    con = open_console(data_dir)
    try:
        return con.sql(query).arrow().read_all().to_pandas()
    finally:
        close_console(con)


def _fetch_limited(con: duckdb.DuckDBPyConnection, query: str, row_limit: int) -> tuple[pa.Table, bool]:
    reader = con.sql(query).arrow()
    batches, rows = [], 0
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        if rows > row_limit:
            break
    import pyarrow as pa

    table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.slice(0, row_limit), rows > row_limit

