"""Migration step: scrub the API key out of anything an older version stored (error texts, and raw
bodies of failed requests that echoed it). It needs the key, so it runs in Python whenever a keyed
collection opens the warehouse (schema/004_scrub_secrets.sql covers `Bearer <token>` without it)."""
from __future__ import annotations

import logging
import zlib

import duckdb

from pipeline.secrets import contains_secret, registered, scrub, scrub_bytes
from pipeline.warehouse.rawstore import body_hash, clear_cache, get_body

log = logging.getLogger(__name__)
ERROR_COLUMNS = (("snapshots", "snapshot_id", "error"), ("alert_outbox", "alert_id", "last_error"))
# Bodies of failed requests that no other body uses as its delta base (bases are only 200 bodies),
# so rewriting one never breaks a chain.
_FAILED_BODIES = """
    select distinct body_id from _request_runs
    where status <> 200 and body_id not in (select base_id from raw_bodies where base_id is not null)
"""


def scrub_stored_secrets(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...] | None = None) -> int:
    """Rewrite every stored error text and failed-request body that holds a form of the key;
    return how many were rewritten."""
    keys = registered() if keys is None else keys
    if not keys:
        return 0
    count = sum(_scrub_column(con, table, id_col, col, keys) for table, id_col, col in ERROR_COLUMNS)
    count += _scrub_failed_bodies(con, keys)
    if count:
        log.warning("scrubbed the API key out of %d stored values", count)
    return count


def _scrub_column(con: duckdb.DuckDBPyConnection, table: str, id_col: str, column: str,
                  keys: tuple[str, ...]) -> int:
    # table and column names come from ERROR_COLUMNS, never from input
    rows = con.execute(f"select rowid, {column} from {table} where {column} is not null").fetchall()
    dirty = [(scrub(text, keys), rowid) for rowid, text in rows if contains_secret(text, keys)]
    for clean, rowid in dirty:
        con.execute(f"update {table} set {column} = $clean where rowid = $rowid", {"clean": clean, "rowid": rowid})
    return len(dirty)


def _scrub_failed_bodies(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...]) -> int:
    count = 0
    for (body_id,) in con.execute(_FAILED_BODIES).fetchall():
        body = get_body(con, body_id)
        if not contains_secret(body, keys):
            continue
        clean = scrub_bytes(body, keys)
        con.execute("update raw_bodies set body_hash = $body_hash, body_zlib = $body_zlib, size_bytes = $size_bytes,"
                    " base_id = null, chain_depth = 0 where body_id = $body_id",
                    {"body_hash": body_hash(clean), "body_zlib": zlib.compress(clean, 9), "size_bytes": len(clean),
                     "body_id": body_id})
        count += 1
    if count:
        clear_cache()  # decoded copies of the old bytes
    return count
