"""The warm worker's console connection, kept from one query to the next (sandbox_worker turns this on).

Opening the console's sandboxed connection (a DuckDB instance, the catalog attached read-only, the
limits set and locked) costs about 30 ms, a third of a small query's time in the dashboard. The warm
worker answers one query at a time, so it keeps that connection while it is the same one it would open:
the same catalog file (a publish replaces the file, which gives it a new inode: the next query opens the
new one) and the same limits. Only statements that change nothing get this far (statement_check), so a
query finds the connection as the first one left it. Any failure drops it: the next query opens afresh.
Its spill directory carries the worker's pid, so the console's sweep removes it once the worker is gone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

Connect = Callable[[Path, Path, int, int], duckdb.DuckDBPyConnection]


@dataclass
class _Kept:
    enabled: bool = False
    key: tuple[object, ...] | None = None
    connection: duckdb.DuckDBPyConnection | None = None
    spill: Path | None = None


_KEPT = _Kept()


def keep_between_queries() -> None:
    """Called once by the warm worker: its queries reuse one connection while it stays the same."""
    _KEPT.enabled = True


def is_enabled() -> bool:
    return _KEPT.enabled


def kept_connection(path: Path, memory_mb: int, spill_mb: int, connect: Connect,
                    spill: Callable[[], Path]) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """(connection, its spill directory): the kept one if it was opened on this very catalog file with
    these limits, else a new one (the old one closed)."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, memory_mb, spill_mb)
    if _KEPT.connection is None or _KEPT.key != key:
        drop()
        directory = spill()
        _KEPT.connection, _KEPT.spill, _KEPT.key = connect(path, directory, memory_mb, spill_mb), directory, key
    assert _KEPT.spill is not None
    return _KEPT.connection, _KEPT.spill


def drop() -> None:
    """Close the kept connection, if any (after a failure, or before opening another)."""
    connection, _KEPT.connection, _KEPT.key, _KEPT.spill = _KEPT.connection, None, None, None
    if connection is not None:
        connection.close()
