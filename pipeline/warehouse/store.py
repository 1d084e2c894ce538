"""The collector's private warehouse: connection, migrations, snapshot rows and the raw layer.

Only the collector opens this file, read-write; readers use the published catalog (publish.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.errors import WriterBusyError
from pipeline.calls import Call
from pipeline.paths import WAREHOUSE_FILE, warehouse_path  # noqa: F401 - re-exported for callers
from pipeline.warehouse.rawstore import NewBody, body_hash, get_body, known_ids, put_bodies, store_key
from pipeline.sql import execute_with, fetch_value, load_sql, sql_files

log = logging.getLogger(__name__)


@contextmanager
def open_warehouse(data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating and migrating) the private warehouse read-write."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    path = warehouse_path(data_dir)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WriterBusyError(f"the warehouse {path} is in use by another collector ({_holder(exc)})") from None
    try:
        migrate(con)
        yield con
    finally:
        con.close()


def _holder(exc: Exception) -> str:
    text = str(exc)
    marker = text.find("(PID")
    return text[marker + 1:text.find(")", marker)] if marker >= 0 else "lock held"


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every schema/NNN_*.sql not yet recorded in _migrations, in order."""
    con.execute("create table if not exists _migrations (version varchar primary key, applied_at timestamptz)")
    done = {row[0] for row in con.execute("select version from _migrations").fetchall()}
    for path in sql_files("warehouse/sql/schema"):
        if path.stem in done:
            continue
        con.execute("begin")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("insert into _migrations values (?, ?)", [path.stem, datetime.now(timezone.utc)])
        con.execute("commit")
        log.info("migration applied: %s", path.stem)


def start_snapshot(con: duckdb.DuckDBPyConnection, api_version: str, base_url: str,
                   started_at: datetime, is_simulated: bool) -> int:
    snapshot_id = fetch_value(con, "select nextval('snapshot_ids')")
    con.execute(
        "insert into snapshots (snapshot_id, api_version, base_url, started_at, status, is_simulated)"
        " values (?, ?, ?, ?, 'running', ?)",
        [snapshot_id, api_version, base_url, started_at, is_simulated],
    )
    return int(snapshot_id)


def finish_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, status: str,
                    error: str | None = None, **fields: object) -> None:
    """Set the final status (ok, failed, rejected) and any extra columns of the snapshot row."""
    values = {"status": status, "error": error, "finished_at": datetime.now(timezone.utc), **fields}
    assignments = ", ".join(f"{name} = ?" for name in values)  # names come from code, never users
    con.execute(f"update snapshots set {assignments} where snapshot_id = ?", [*values.values(), snapshot_id])


def store_calls(con: duckdb.DuckDBPyConnection, snapshot_id: int, calls: list[Call]) -> str:
    """Append every call to the raw layer (bodies stored once by hash); return the content hash."""
    ordered = sorted(calls, key=_call_order)
    digests = [body_hash(call.body) for call in ordered]
    params = [json.dumps(call.params, sort_keys=True) for call in ordered]
    ids = known_ids(con, digests)
    bases = _previous_bodies(con, snapshot_id)
    new_bodies: dict[str, NewBody] = {}
    for call, digest, param in zip(ordered, digests, params):
        if digest not in ids and digest not in new_bodies:
            base = bases.get((call.endpoint, call.path, param))
            new_bodies[digest] = NewBody(digest, call.body, call.requested_at, base)
    ids.update(put_bodies(con, list(new_bodies.values())))
    _insert_requests(con, snapshot_id, ordered, params, [ids[d] for d in digests])
    content = [f"{c.endpoint}|{c.path}|{p}|{d}" for c, p, d in zip(ordered, params, digests) if c.status == 200]
    return hashlib.sha256("\n".join(content).encode()).hexdigest()


def _previous_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[tuple[str, str, str], int]:
    """body_id per request (endpoint, path, params) in the latest earlier snapshot: the delta bases."""
    rows = con.execute(load_sql("warehouse/sql/staging/previous_bodies.sql"), [snapshot_id]).fetchall()
    return {(e, p, q): b for e, p, q, b in rows}


def _insert_requests(con: duckdb.DuckDBPyConnection, snapshot_id: int, calls: list[Call],
                     params: list[str], body_ids: list[int]) -> None:
    """One columnar insert for the whole request log of a snapshot (executemany is row by row)."""
    rows = pa.table({
        "snapshot_id": pa.array([snapshot_id] * len(calls), pa.int32()),
        "seq": pa.array(range(len(calls)), pa.int32()),
        "endpoint": [c.endpoint for c in calls], "path": [c.path for c in calls], "params": params,
        "status": pa.array([c.status for c in calls], pa.int32()),
        "size_bytes": pa.array([len(c.body) for c in calls], pa.int32()),
        "elapsed_ms": [round(c.elapsed_ms, 3) for c in calls], "body_id": pa.array(body_ids, pa.int32()),
        "requested_at": pa.array([c.requested_at for c in calls], pa.timestamp("us", tz="UTC")),
    })
    execute_with(con, "_new_requests", rows, "insert into _requests select * from _new_requests")


def _call_order(call: Call) -> tuple[str, str, str]:
    return (call.endpoint, call.path, json.dumps(call.params, sort_keys=True))


def load_snapshot_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> int:
    """Fill the temp table `_snapshot_bodies` (the input of every staging model) from raw."""
    rows = con.execute(load_sql("warehouse/sql/staging/snapshot_bodies.sql"), [snapshot_id]).fetchall()
    store = store_key(con)
    bodies = pa.table({
        "endpoint": pa.array([r[0] for r in rows], pa.string()),
        "region_key": pa.array([r[1] for r in rows], pa.string()),
        "page": pa.array([r[2] for r in rows], pa.int32()),
        "body": pa.array([get_body(con, r[3], store).decode("utf-8") for r in rows], pa.string()),
    })
    execute_with(con, "_decoded_bodies", bodies,
                 "create or replace temp table _snapshot_bodies as select * from _decoded_bodies")
    return len(rows)
