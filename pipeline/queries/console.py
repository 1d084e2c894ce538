"""The SQL console: a sandboxed, read-only connection that reaches the published catalog and nothing else.

A DuckDB connection opened `read_only` can still read any file (`read_text('/etc/passwd')`) and write
one (`copy ... to 'x.csv'`). The console therefore opens a private in-memory database (its own DuckDB
instance, so its settings never leak into other readers of the same file in this process), attaches
the catalog READ_ONLY, then disables external access and locks the configuration. On top of that,
only SELECT statements (and EXPLAIN [ANALYZE] around one: EXPLAIN ANALYZE executes what it wraps)
are accepted, one at a time. Each query runs in a child process (sandbox.py) with a row, a time, a
memory, a result and a spill limit: DuckDB's memory_limit bounds only its buffer manager, so the OS
bounds the child's whole data segment, and the wall-clock limit kills the child. Spill files go to a
private directory under the system temp (its name carries the owner's pid), removed when the query
ends, or by the next query once its owner is dead. Functions and views that show the machine
(settings, paths, the platform) or run a string as SQL are refused (statement_check.py); an error
message never names a path of the machine, and a value that cannot be shown is refused in one line.
The dashboard console and `vultr-catalog sql` share this one code path
(run_console).
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline.errors import first_line, looks_damaged
from pipeline.queries import console_kept
from pipeline.queries.core import damaged_catalog, nullable_ints, published_catalog
from pipeline.queries.sandbox import (
    Bounds,
    SandboxDied,
    SandboxMemoryError,
    SandboxTimeout,
    pid_is_alive,
    run_bounded,
)
from pipeline.queries.statement_check import ConsoleError, check_statement, refuse_early
from pipeline.sql import fetch_value, quote_literal

if TYPE_CHECKING:  # pandas and pyarrow load on first use (the CLI's quick paths never need them)
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)
DEFAULT_ROW_LIMIT = 1000
DEFAULT_TIME_LIMIT_S = 10.0
CONSOLE_MEMORY_LIMIT_MB = 1024  # DuckDB's memory_limit: its buffer manager only
CONSOLE_HEADROOM_MB = 512  # what the query's process may hold beyond it (strings DuckDB does not count, the result)
CONSOLE_SPILL_LIMIT_MB = 1024  # DuckDB's default is 90% of the free disk, in <cwd>/.tmp
CONSOLE_RESULT_LIMIT_MB = 256  # the rows handed back to the CLI or the dashboard
SPILL_PREFIX = "vultr-catalog-sql-"
_SPILL_NAME = re.compile(re.escape(SPILL_PREFIX) + r"(\d+)-[0-9a-f]{12}")
@dataclass(frozen=True)
class ConsoleResult:
    frame: pd.DataFrame
    is_truncated: bool  # more rows than the row limit; only the first row_limit are kept
    elapsed_s: float


def open_console(data_dir: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A sandboxed connection in this process (for fixed queries such as public_columns; typed queries
    run in a bounded child, run_console): the catalog attached read-only, memory and spill limited
    (spill in a private directory under the system temp), external access off, configuration locked."""
    path = published_catalog(data_dir)
    sweep_spill_dirs()
    return _connect(path, new_spill_dir(), CONSOLE_MEMORY_LIMIT_MB, CONSOLE_SPILL_LIMIT_MB)


def _connect(path: Path, spill: Path, memory_mb: int, spill_mb: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(f"attach {quote_literal(str(path))} as catalog (read_only)")
        except duckdb.Error as exc:
            if looks_damaged(exc):
                raise damaged_catalog(path) from None
            raise
        con.execute("use catalog")
        con.execute(f"set memory_limit = '{int(memory_mb)}MiB'")
        con.execute(f"set temp_directory = {quote_literal(str(spill))}")
        con.execute(f"set max_temp_directory_size = '{int(spill_mb)}MiB'")
        con.execute("set enable_progress_bar = false")  # never a bar on the CLI's stderr
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def new_spill_dir() -> Path:
    """A private spill directory name under the system temp, carrying this process's pid (the sweep
    removes it once that process is dead)."""
    return Path(tempfile.gettempdir()) / f"{SPILL_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"


def sweep_spill_dirs() -> int:
    """Remove the spill directories of dead processes (a console killed mid-query leaves its own); a
    living process's directory is never touched."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*"):
        match = _SPILL_NAME.fullmatch(path.name)
        if not match or int(match.group(1)) == os.getpid() or pid_is_alive(int(match.group(1))):
            continue
        try:
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d stale SQL spill director%s", removed, "y" if removed == 1 else "ies")
    return removed


def run_console(query: str, data_dir: Path | str | None = None, row_limit: int = DEFAULT_ROW_LIMIT,
                time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> ConsoleResult:
    """Run one read-only statement in a bounded child process (sandbox.py): at most row_limit rows,
    killed after time_limit_s, its memory bounded by the OS. Raises ConsoleError with a one-line
    message on refusal, failure or any limit."""
    started = time.perf_counter()
    limits = _limits()
    request = {"query": query, "catalog": str(published_catalog(data_dir)), "row_limit": row_limit, **limits}
    refuse_early(query)
    sweep_spill_dirs()
    spill = new_spill_dir()
    try:
        payload, is_truncated = run_bounded(_run_in_child, {**request, "spill": str(spill)},
                                            Bounds(time_limit_s, (limits["memory_mb"] + limits["headroom_mb"]) << 20),
                                            meanwhile=nullable_ints)  # pandas + pyarrow load while the child runs
    except SandboxTimeout:
        raise ConsoleError(f"stopped after the {time_limit_s:g} s time limit: narrow the query") from None
    except SandboxMemoryError:
        raise ConsoleError(memory_message(limits)) from None
    except SandboxDied as exc:
        if exc.signal is None:
            raise ConsoleError(f"the query's process {exc} without an answer") from None
        raise ConsoleError(memory_message(limits, f"stopped: the query's process was {exc}, most likely at the "
                                                  "console's memory limit")) from None
    finally:
        shutil.rmtree(spill, ignore_errors=True)  # what DuckDB left, or a killed child's spill
    import pyarrow as pa  # loaded after the fork: importing it starts threads, and a one-thread CLI forks cheaply

    frame = _to_frame(pa.ipc.open_stream(payload).read_all())
    return ConsoleResult(frame, is_truncated, time.perf_counter() - started)


_UNSHOWABLE = (ArithmeticError, ValueError, NotImplementedError, TypeError)  # + pyarrow's ArrowException


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """The rows as a DataFrame, or a ConsoleError naming the first column whose values have no Python
    or pandas equivalent (a union, a date past year 9999, a time of 24:00)."""
    import pyarrow as pa

    try:
        return _shown(table)
    except (pa.ArrowException, *_UNSHOWABLE) as exc:
        for index, name in enumerate(table.column_names):
            try:
                _shown(table.select([index]))
            except (pa.ArrowException, *_UNSHOWABLE) as column_exc:
                raise ConsoleError(f"column {name!r} ({table.schema.field(index).type}) holds values that cannot be "
                                   f"shown ({first_line(column_exc)[:120]}): cast it to varchar, or leave it "
                                   "out") from None
        raise ConsoleError(f"the result cannot be shown ({first_line(exc)[:120]})") from None


def _shown(table: pa.Table) -> pd.DataFrame:
    """to_pandas, with every value turned into what the output formats read (a timestamp's isoformat
    fails only here for one out of Python's range)."""
    frame = table.to_pandas(types_mapper=nullable_ints().get)
    for column in frame.columns[frame.dtypes.astype(str).str.startswith("datetime64")]:
        frame[column].map(lambda value: value.isoformat() if value == value else None)
    return frame


def _limits() -> dict[str, int]:
    """The limits of this run, read now (a spawned child has its own globals: they travel in the request)."""
    return {"memory_mb": CONSOLE_MEMORY_LIMIT_MB, "headroom_mb": CONSOLE_HEADROOM_MB,
            "spill_mb": CONSOLE_SPILL_LIMIT_MB, "result_mb": CONSOLE_RESULT_LIMIT_MB}


def memory_message(limits: dict[str, int], stopped: str = "stopped at the console's memory limit") -> str:
    return (f"{stopped} ({_mb(limits['memory_mb'])} for DuckDB, "
            f"{_mb(limits['memory_mb'] + limits['headroom_mb'])} for the whole query; spilling at most "
            f"{_mb(limits['spill_mb'])}): narrow the query or aggregate first")


def _mb(size_mb: int) -> str:
    return f"{size_mb / 1024:g} GB" if size_mb >= 1024 else f"{size_mb} MB"


def _run_in_child(request: dict[str, Any]) -> tuple[object, bool]:
    """In the bounded child: connect, check, fetch; the rows as an Arrow IPC stream. Every failure is
    a ConsoleError (or the damaged-catalog error) for the requester to raise. The warm worker keeps its
    connection for the next query (console_kept); a one-query child closes it before serializing."""
    path = Path(request["catalog"])
    memory_mb, spill_mb = request["memory_mb"], request["spill_mb"]
    if console_kept.is_enabled():
        con, spill = console_kept.kept_connection(path, memory_mb, spill_mb, _connect, new_spill_dir)
    else:
        spill = Path(request["spill"])
        con = _connect(path, spill, memory_mb, spill_mb)
    try:
        table, is_truncated = _checked_fetch(con, request, path, spill)
    except BaseException:
        console_kept.drop()
        raise
    finally:
        if not console_kept.is_enabled():
            con.close()  # DuckDB's memory goes before the rows are serialized
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue(), is_truncated


def _checked_fetch(con: duckdb.DuckDBPyConnection, request: dict[str, Any], path: Path,
                   spill: Path) -> tuple[pa.Table, bool]:
    try:
        check_statement(con, request["query"])
        return _fetch_limited(con, request["query"], request["row_limit"], request["result_mb"])
    except duckdb.OutOfMemoryException:
        raise ConsoleError(memory_message(request)) from None
    except duckdb.PermissionException:
        raise ConsoleError("reading or writing files is disabled in the console: only the catalog's "
                           "tables and views are reachable") from None
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise damaged_catalog(path) from None
        raise ConsoleError(without_paths(first_line(exc), path, spill)) from None


_QUOTED_PATH = re.compile(r"([\"'])(?:/|~/)[^\"']*\1")


def without_paths(message: str, catalog: Path, spill: Path) -> str:
    """A DuckDB message with no path of the machine: quoted absolute paths (how DuckDB names files)
    and the known directories become placeholders."""
    message = _QUOTED_PATH.sub(lambda m: f"{m.group(1)}<path>{m.group(1)}", message)
    known = ((spill, "<spill>"), (catalog, "<catalog>"), (catalog.parent, "<data-dir>"),
             (Path(tempfile.gettempdir()), "<temp>"), (Path.home(), "~"))
    for path, placeholder in known:
        if len(str(path)) > 1:
            message = message.replace(str(path), placeholder)
    return message


def close_console(con: duckdb.DuckDBPyConnection) -> None:
    """Close, and make sure the spill directory is gone (DuckDB removes what it created, normally)."""
    try:
        spill = str(fetch_value(con, "select current_setting('temp_directory')"))
    except duckdb.Error:
        spill = ""
    con.close()
    if Path(spill).name.startswith(SPILL_PREFIX):
        shutil.rmtree(spill, ignore_errors=True)


def public_columns(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The catalog's public views and tables with their columns, for the console's reference panel
    (underscore names are private, as in the export)."""
    query = """
        select table_name, table_type = 'VIEW' as is_view, string_agg(column_name, ', ' order by ordinal_position) as columns
        from information_schema.columns join information_schema.tables using (table_catalog, table_schema, table_name)
        where table_catalog = 'catalog' and table_schema = 'main' and not starts_with(table_name, '_')
        group by table_name, table_type order by not is_view, table_name
    """
    con = open_console(data_dir)
    try:
        return con.sql(query).arrow().read_all().to_pandas()
    finally:
        close_console(con)


def _fetch_limited(con: duckdb.DuckDBPyConnection, query: str, row_limit: int,
                   result_mb: int) -> tuple[pa.Table, bool]:
    reader = con.sql(query).arrow(min(row_limit + 1, 10_000))
    batches, rows, size = [], 0, 0
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if size > result_mb << 20:
            raise ConsoleError(f"stopped at the console's result limit ({_mb(result_mb)} of rows): select "
                               "fewer rows or columns, or aggregate first")
        if rows > row_limit:
            break
    import pyarrow as pa

    table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.slice(0, row_limit), rows > row_limit
