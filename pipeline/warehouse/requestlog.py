"""The compact request log: one `_request_runs` row per run of identical answers to one request.

A run covers consecutive snapshots (snapshot_id order, none skipped) that made the same request
(endpoint, path, params) and got the same status and body. A snapshot that asks what the previous
one asked and gets the same answers only moves each run's `last_snapshot_id` on (an update, no new
row), so the log grows with change, not with time: a minute cadence of unchanged stock polls costs
its `snapshots` rows and nothing else. Which bodies a snapshot saw stays exact: those of the runs
covering it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.calls import Call
from pipeline.sql import columns_select, load_sql

RequestKey = tuple[str, str, str]  # endpoint, path, params (json, sorted keys)
AVAILABILITY = "availability"  # the endpoint of the availability answers (v1 and v2): all a stock poll asks
RUN_COLUMNS = {"endpoint": "varchar", "path": "varchar", "params": "varchar", "status": "integer",
               "body_id": "integer", "size_bytes": "integer", "first_snapshot_id": "integer",
               "last_snapshot_id": "integer", "seen_count": "integer", "first_requested_at": "timestamptz",
               "last_requested_at": "timestamptz"}


@dataclass(frozen=True)
class OpenRun:
    rowid: int
    status: int
    body_id: int


@dataclass(frozen=True)
class LoggedCall:
    key: RequestKey
    status: int
    body_id: int
    size_bytes: int
    requested_at: datetime


def request_key(call: Call) -> RequestKey:
    # most calls (every availability answer) have no parameters: json.dumps({}) is "{}", without its cost
    return (call.endpoint, call.path, json.dumps(call.params, sort_keys=True) if call.params else "{}")


def open_runs(con: duckdb.DuckDBPyConnection, previous: Previous) -> dict[RequestKey, OpenRun]:
    """The runs the snapshot before this one left open (it asked them). A call extends its run when
    its answer is stored under the run's body_id (no join with raw_bodies: the caller looks the
    answers' digests up in any case, and the join doubled this read)."""
    if previous.snapshot_id is None:
        return {}
    rows = con.execute("select endpoint, path, params, rowid, status, body_id from _request_runs"
                       " where last_snapshot_id = ?", [previous.snapshot_id]).fetchall()
    return {(e, p, q): OpenRun(rowid, status, body_id) for e, p, q, rowid, status, body_id in rows}


@dataclass(frozen=True)
class Previous:
    """The snapshot before this one: its id (its runs are the open ones) and what it stored."""
    snapshot_id: int | None
    status: str | None = None
    content_hash: str | None = None
    request_count: int | None = None
    active_holds: list[str] | None = None  # regions held as suspect now (read with it: no statement more)


_HELD = "(select list(region_id) from availability_holds where resolved_snapshot_id is null)"
_PREVIOUS = f"select snapshot_id, status, content_hash, request_count, {_HELD} from snapshots where snapshot_id = ?"
_PREVIOUS_BEFORE = (f"select snapshot_id, status, content_hash, request_count, {_HELD} from snapshots"
                    " where snapshot_id = (select max(snapshot_id) from snapshots where snapshot_id < ?)")


def previous_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> Previous:
    # ids come from a sequence: the previous one is nearly always snapshot_id - 1 (a key lookup)
    rows = con.execute(_PREVIOUS, [snapshot_id - 1]).fetchall()
    if not rows:
        rows = con.execute(_PREVIOUS_BEFORE, [snapshot_id]).fetchall()
    return Previous(*rows[0]) if rows else Previous(None)


def extend_repeated(con: duckdb.DuckDBPyConnection, snapshot_id: int, previous: Previous, last_at: datetime) -> None:
    """The snapshot asked exactly what the previous one asked and got the same answers: extend all its
    runs in one statement (the hot path of a minute cadence: no run or body is looked up)."""
    con.execute("update _request_runs set last_snapshot_id = $snapshot_id, seen_count = seen_count + 1,"
                " last_requested_at = $last_at where last_snapshot_id = $previous",
                {"snapshot_id": snapshot_id, "last_at": last_at, "previous": previous.snapshot_id})


def append_calls(con: duckdb.DuckDBPyConnection, snapshot_id: int, calls: list[LoggedCall],
                 runs: dict[RequestKey, OpenRun]) -> int:
    """Extend the open runs (from `open_runs`, consumed) where the answer is the same; start new runs
    for the rest. Returns how many new runs were started (0 = every answer repeated)."""
    extend, start = [], []
    for call in calls:
        run = runs.pop(call.key, None)  # a request asked twice in one snapshot starts a second run
        if run is not None and (run.status, run.body_id) == (call.status, call.body_id):
            extend.append((run.rowid, call))
        else:
            start.append(call)
    if extend:
        _extend(con, snapshot_id, extend)
    if start:
        _start(con, snapshot_id, start)
    return len(start)


def _extend(con: duckdb.DuckDBPyConnection, snapshot_id: int, runs: list[tuple[int, LoggedCall]]) -> None:
    # one statement for all runs; every call of one snapshot shares a last_requested_at close enough
    # to keep the latest of them (the per-call times are not what the log is for)
    last_at = max(call.requested_at for _, call in runs)
    con.execute("update _request_runs set last_snapshot_id = $snapshot_id, seen_count = seen_count + 1,"
                " last_requested_at = $last_at where rowid in (select unnest(cast($rowids as bigint[])))",
                {"snapshot_id": snapshot_id, "last_at": last_at, "rowids": [rowid for rowid, _ in runs]})


def _start(con: duckdb.DuckDBPyConnection, snapshot_id: int, calls: list[LoggedCall]) -> None:
    """One statement over bound columns (executemany is row by row)."""
    n = len(calls)
    times = [c.requested_at for c in calls]
    columns = {
        "endpoint": [c.key[0] for c in calls], "path": [c.key[1] for c in calls],
        "params": [c.key[2] for c in calls], "status": [c.status for c in calls],
        "body_id": [c.body_id for c in calls], "size_bytes": [c.size_bytes for c in calls],
        "first_snapshot_id": [snapshot_id] * n, "last_snapshot_id": [snapshot_id] * n, "seen_count": [1] * n,
        "first_requested_at": times, "last_requested_at": times,
    }
    con.execute(f"insert into _request_runs by name {columns_select(RUN_COLUMNS)}", columns)


def latest_bodies(con: duckdb.DuckDBPyConnection) -> dict[RequestKey, int]:
    """body_id of the latest 200 answer per request: the delta bases of new bodies."""
    rows = con.execute(load_sql("warehouse/sql/staging/previous_bodies.sql")).fetchall()
    return {(e, p, q): b for e, p, q, b in rows}


def latest_applied_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[RequestKey, int]:
    """The 200 answers of the latest snapshot before `snapshot_id` whose history stands (none: empty)."""
    latest = con.execute("select max(snapshot_id) from _applied_snapshots where snapshot_id < ?",
                         [snapshot_id]).fetchall()[0][0]
    return {} if latest is None else snapshot_bodies(con, latest)


def snapshot_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[RequestKey, int]:
    """The 200 answers of one snapshot, by request, from the runs covering it."""
    rows = con.execute("select endpoint, path, params, body_id from _request_runs where status = 200"
                       " and first_snapshot_id <= $id and last_snapshot_id >= $id", {"id": snapshot_id}).fetchall()
    return {(e, p, q): b for e, p, q, b in rows}
