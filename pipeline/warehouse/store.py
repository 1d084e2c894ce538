"""The collector's private warehouse: connection, migrations, snapshot rows and the raw layer.

Only the collector opens this file, read-write; readers use the published catalog (publish.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.calls import Call
from pipeline.errors import DamagedFileError, WriterBusyError, first_line, looks_damaged
from pipeline.paths import WAREHOUSE_FILE as WAREHOUSE_FILE  # re-exported for callers
from pipeline.paths import warehouse_path as warehouse_path
from pipeline.secrets import scrub
from pipeline.sql import columns_select, define_rules, load_sql, sql_files
from pipeline.status import SnapshotStatus, history_stands
from pipeline.warehouse.rawstore import NewBody, body_hash, get_body, lookup, put_bodies, store_key
from pipeline.warehouse.requestlog import (
    LoggedCall,
    OpenRun,
    Previous,
    RequestKey,
    append_calls,
    extend_repeated,
    latest_bodies,
    open_runs,
    previous_snapshot,
    request_key,
)

log = logging.getLogger(__name__)


@contextmanager
def open_warehouse(data_dir: Path, path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating and migrating) the private warehouse read-write; `path`: a warehouse file other
    than the data directory's (repair builds the repaired one beside it)."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    path = path or warehouse_path(data_dir)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise WriterBusyError(f"the warehouse {path} is in use by another collector ({_holder(exc)})") from None
        raise damaged_warehouse(data_dir, exc) from None
    try:
        # one thread: the collector's statements are small and many (a poll a minute); waking a pool
        # for each costs more than it gains, and on a busy host several times more
        con.execute("set threads = 1")
        migrate(con)
        define_rules(con, temporary=True)  # staging, the checks and the alert matches call them
        yield con
    except Exception as exc:
        if looks_damaged(exc) and not isinstance(exc, DamagedFileError):
            raise damaged_warehouse(data_dir, exc) from None
        raise
    finally:
        con.close()


def damaged_warehouse(data_dir: Path, exc: BaseException) -> DamagedFileError:
    return DamagedFileError(f"the warehouse {warehouse_path(data_dir)} is damaged ({first_line(exc)[:160]}): run "
                            f"`vultr-catalog repair --data-dir {data_dir}` to keep it aside and rebuild it "
                            "from its readable raw rows")


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
        con.execute("insert into _migrations values ($version, $applied_at)",
                    {"version": path.stem, "applied_at": datetime.now(UTC)})
        con.execute("commit")
        log.info("migration applied: %s", path.stem)


def start_snapshot(con: duckdb.DuckDBPyConnection, api_version: str, base_url: str,
                   started_at: datetime, is_simulated: bool, kind: str = "full") -> int:
    rows = con.execute(
        "insert into snapshots (snapshot_id, api_version, base_url, started_at, status, is_simulated, kind)"
        " values (nextval('snapshot_ids'), $api_version, $base_url, $started_at, $status, $is_simulated, $kind)"
        " returning snapshot_id",
        {"api_version": api_version, "base_url": base_url, "started_at": started_at,
         "is_simulated": is_simulated, "kind": kind, "status": SnapshotStatus.RUNNING},
    ).fetchall()
    return int(rows[0][0])


def finish_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, status: SnapshotStatus,
                    error: str | None = None, **fields: object) -> None:
    """Set the final status (ok, failed, rejected) and any extra columns of the snapshot row."""
    values = {"status": SnapshotStatus(status), "error": scrub(error) if error else error,
              "finished_at": datetime.now(UTC), **fields}
    assignments = ", ".join(f"{name} = ${name}" for name in values)  # names come from code, never users
    con.execute(f"update snapshots set {assignments} where snapshot_id = $snapshot_id",
                {**values, "snapshot_id": snapshot_id})


INTERRUPTED = "interrupted: the collector stopped before this snapshot finished"


def mark_interrupted(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Snapshots left `running` by a process that was killed become `failed` (the caller holds the lock)."""
    rows = con.execute(
        "update snapshots set status = $failed, error = $error, finished_at = $now"
        " where status = $running returning snapshot_id",
        {"failed": SnapshotStatus.FAILED, "error": INTERRUPTED, "now": datetime.now(UTC),
         "running": SnapshotStatus.RUNNING}).fetchall()
    for (snapshot_id,) in rows:
        log.warning("snapshot=%d status=failed error=%s", snapshot_id, INTERRUPTED)
    return [snapshot_id for (snapshot_id,) in rows]


Answer = tuple[RequestKey, bytes]  # a 200 answer: its request and its exact bytes


@dataclass(frozen=True)
class StoredCalls:
    content_hash: str                   # hash of the snapshot's 200 answers: equal = same answers
    bodies: dict[RequestKey, int]       # body_id of each 200 answer, by request (empty when is_repeat)
    new_runs: int                       # answers that differ from the previous snapshot's
    is_repeat: bool = False             # the previous snapshot was applied with these very answers
    answers: list[Answer] = field(default_factory=list)  # the 200 answers' bytes, in request order
    # the previous snapshot's 200 answers if its history stands (what the history's availability
    # reflects: transform.applied_bodies), read with its open runs; None: it does not, or not read
    previous_bodies: dict[RequestKey, int] | None = None
    active_holds: frozenset[str] = frozenset()  # regions held as suspect now (pipeline.warehouse.holds)


def store_calls(con: duckdb.DuckDBPyConnection, snapshot_id: int, calls: list[Call]) -> StoredCalls:
    """Append the calls to the raw layer: new bodies stored once by hash, the request log as runs."""
    ordered = sorted(calls, key=request_key)
    keys = [request_key(call) for call in ordered]
    digests = [body_hash(call.body) for call in ordered]
    content_hash = answers_hash([(key, digest) for call, key, digest in zip(ordered, keys, digests)
                                  if call.status == 200])
    previous = previous_snapshot(con, snapshot_id)
    if _repeats(previous, ordered, keys, content_hash):
        extend_repeated(con, snapshot_id, previous, max(call.requested_at for call in ordered))
        return StoredCalls(content_hash, {}, 0, is_repeat=True)
    active = frozenset(previous.active_holds or ())
    runs = open_runs(con, previous)
    previous_bodies = ({key: run.body_id for key, run in runs.items() if run.status == 200}
                       if history_stands(previous.status, previous.content_hash) else None)
    ids = _store_bodies(con, ordered, keys, digests, runs)
    logged = [LoggedCall(key, call.status, ids[digest], len(call.body), call.requested_at)
              for call, key, digest in zip(ordered, keys, digests)]
    new_runs = append_calls(con, snapshot_id, logged, runs)
    ok = [(call, key, digest) for call, key, digest in zip(ordered, keys, digests) if call.status == 200]
    return StoredCalls(content_hash, {key: ids[digest] for _, key, digest in ok}, new_runs,
                       answers=[(key, call.body) for call, key, _ in ok], previous_bodies=previous_bodies,
                       active_holds=active)


def _store_bodies(con: duckdb.DuckDBPyConnection, calls: list[Call], keys: list[RequestKey], digests: list[str],
                  runs: dict[RequestKey, OpenRun]) -> dict[str, int]:
    """body_id of every call's body: stored ones looked up by digest, else newly stored."""
    # the delta base is the request's latest 200 answer: its open run's, else looked up
    bases = {key: run.body_id for key, run in runs.items() if run.status == 200}
    known = lookup(con, digests, list(bases.values()))
    ids = dict(known.known)
    unknown = [(call, key, digest) for call, key, digest in zip(calls, keys, digests) if digest not in ids]
    if unknown:
        if any(key not in bases for _, key, _ in unknown):
            bases = latest_bodies(con)
        new_bodies: dict[str, NewBody] = {}
        for call, key, digest in unknown:
            new_bodies.setdefault(digest, NewBody(digest, call.body, call.requested_at, bases.get(key)))
        ids.update(put_bodies(con, list(new_bodies.values()), known))
    return ids


def _repeats(previous: Previous, calls: list[Call], keys: list[RequestKey], content_hash: str) -> bool:
    """Whether the previous snapshot was applied (ok) with these very answers: the same 200 answers
    (content hash) to as many requests (so it had no other), each request asked once; and no region is
    held as suspect (its answer, not applied, is judged again)."""
    return (bool(calls) and not previous.active_holds and previous.status == SnapshotStatus.OK
            and previous.content_hash == content_hash
            and previous.request_count == len(calls) and all(call.status == 200 for call in calls)
            and len(set(keys)) == len(keys))


def answers_hash(answers: list[tuple[RequestKey, str]]) -> str:
    """A snapshot's content hash: of its 200 answers' (request, body digest), in request order."""
    content = "\n".join(f"{e}|{p}|{q}|{d}" for (e, p, q), d in answers)
    return hashlib.sha256(content.encode()).hexdigest()


SNAPSHOT_BODY_TYPES = {"endpoint": "varchar", "region_key": "varchar", "page": "integer", "body": "varchar"}


def load_snapshot_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int,
                         answers: list[Answer] | None = None) -> dict[str, list[Any]]:
    """Fill the temp table `_snapshot_bodies` (the input of every staging model) with `snapshot_body_rows`;
    returns those rows."""
    columns = snapshot_body_rows(con, snapshot_id, answers=answers)
    con.execute(f"create or replace temp table _snapshot_bodies as {columns_select(SNAPSHOT_BODY_TYPES)}", columns)
    return columns


def snapshot_body_rows(con: duckdb.DuckDBPyConnection, snapshot_id: int, only: set[RequestKey] | None = None,
                       answers: list[Answer] | None = None) -> dict[str, list[Any]]:
    """The rows of `_snapshot_bodies` as bound columns (SNAPSHOT_BODY_TYPES), pages of one list in the
    order the API chained them; `only` these requests if given. From `answers` (the snapshot's 200
    answers in request order, as `store_calls` returns them) when the caller has them, else from raw."""
    if answers is None:
        rows = con.execute(load_sql("warehouse/sql/staging/snapshot_bodies.sql"), {"snapshot_id": snapshot_id}).fetchall()
        rows = [((e, p, q), b) for e, p, q, b in rows if only is None or (e, p, q) in only]
        store = store_key(con)
        answers = [(key, get_body(con, body_id, store)) for key, body_id in rows]
    elif only is not None:
        answers = [(key, body) for key, body in answers if key in only]
    order = page_order([key for key, _ in answers], [body for _, body in answers])
    loaded = [answers[i] for i in order]
    return {"endpoint": [key[0] for key, _ in loaded],
            "region_key": [region_key(path, params) for (_, path, params), _ in loaded],
            "page": list(range(len(loaded))), "body": [body.decode("utf-8") for _, body in loaded]}


_REGION_PATH = re.compile(r"/regions/([^/]+)/availability")


def path_region(path: str) -> str | None:
    """The region a v2 availability path names (None: not one, e.g. v1's, which names it by DCID)."""
    match = _REGION_PATH.fullmatch(path)
    return match.group(1) if match else None


def region_key(path: str, params: str) -> str | None:
    """The region an answer is about: v2 names it in the path, v1 in the DCID parameter (None: a list)."""
    region = path_region(path)
    if region is not None:
        return region
    dcid = json.loads(params).get("DCID")
    return None if dcid is None else str(dcid)


def page_order(requests: list[tuple[str, str, str]], bodies: list[bytes]) -> list[int]:
    """Indexes of (endpoint, path, params-json) requests with the pages of each list in chain order:
    the page without a cursor, then the page its `meta.links.next` names, and so on. (Sorting by the
    parameters would put a cursor page before the first page, and a repeated id on a later page would
    win.) Pages off the chain follow, in parameter order: deterministic either way."""
    lists: dict[tuple[str, str, str], dict[str, int]] = {}
    for index, (endpoint, path, params_json) in enumerate(requests):
        params = json.loads(params_json)
        cursor = str(params.pop("cursor", ""))
        lists.setdefault((endpoint, path, json.dumps(params, sort_keys=True)), {})[cursor] = index
    order: list[int] = []
    for key in sorted(lists):
        pages, cursor, chained = lists[key], "", []
        while cursor in pages and pages[cursor] not in chained:
            chained.append(pages[cursor])
            cursor = _next_cursor(bodies[pages[cursor]]) if len(pages) > 1 else ""
        order += chained + sorted(i for i in pages.values() if i not in chained)
    return order


def _next_cursor(body: bytes) -> str:
    try:
        links = (json.loads(body).get("meta") or {}).get("links") or {}
    except (ValueError, AttributeError):
        return ""
    return str(links.get("next") or "") if isinstance(links, dict) else ""
