"""The SQL console: a sandboxed, read-only connection that reaches the published catalog and nothing else.

A DuckDB connection opened `read_only` can still read any file (`read_text('/etc/passwd')`) and write
one (`copy ... to 'x.csv'`). The console therefore opens a private in-memory database (its own DuckDB
instance, so its settings never leak into other readers of the same file in this process), attaches
the catalog READ_ONLY, then disables external access and locks the configuration. On top of that,
only SELECT and EXPLAIN statements are accepted, one at a time, each with a row and a time limit.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.errors import CatalogError, first_line
from pipeline.queries.core import NULLABLE_INTS, published_catalog
from pipeline.sql import quote_literal

log = logging.getLogger(__name__)
DEFAULT_ROW_LIMIT = 1000
DEFAULT_TIME_LIMIT_S = 10.0
CONSOLE_MEMORY_LIMIT = "1GB"
_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
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
    """A sandboxed connection: the catalog attached read-only, external access off, configuration locked."""
    path = published_catalog(data_dir)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {quote_literal(str(path))} as catalog (read_only)")
        con.execute("use catalog")
        con.execute(f"set memory_limit = '{CONSOLE_MEMORY_LIMIT}'")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but a single SELECT/EXPLAIN, with a message naming what was refused and why."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    if not statements:
        raise ConsoleError("nothing to run: type a SELECT statement")
    if len(statements) > 1:
        raise ConsoleError("one statement at a time, please (found %d)" % len(statements))
    kind = statements[0].type
    if kind not in _ALLOWED:
        name = kind.name
        raise ConsoleError(_REFUSALS.get(name, f"{name} statements are refused: the console is read-only "
                                                "(SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE and EXPLAIN work)"))


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
    except duckdb.PermissionException:
        raise ConsoleError("reading or writing files is disabled in the console: only the catalog's "
                           "tables and views are reachable") from None
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    finally:
        timer.cancel()
        con.close()
    frame = table.to_pandas(types_mapper=NULLABLE_INTS.get)
    return ConsoleResult(frame, is_truncated, time.perf_counter() - started)


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
        con.close()


def _fetch_limited(con: duckdb.DuckDBPyConnection, query: str, row_limit: int) -> tuple[pa.Table, bool]:
    reader = con.sql(query).arrow()
    batches, rows = [], 0
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        if rows > row_limit:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.slice(0, row_limit), rows > row_limit

