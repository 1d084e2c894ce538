"""The raw layer's body store: content-addressed, byte-exact, delta-compressed.

Each distinct body (sha256) is stored once, under a small integer body_id that the request log
references (an id compresses to a few bits per row; a hex hash would cost 64 bytes). A new body is
zlib-compressed with the previous body of the same request as preset dictionary (zdict), so an
availability list that moved by one plan costs tens of bytes instead of a kilobyte. Chains are
capped (MAX_CHAIN): past it a self-contained keyframe is stored, so decoding one body reads at
most MAX_CHAIN rows. Bodies never change once stored, so decoded ones are cached, keyed by the
warehouse file and the id (ids are only unique within one warehouse), and only once inserted.
"""
from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.sql import columns_select, fetch_one, fetch_value

MAX_CHAIN = 48
_CACHE_SIZE = 1024
_cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()


@dataclass(frozen=True)
class NewBody:
    body_hash: str
    body: bytes
    first_seen_at: datetime
    base_id: int | None  # the previous body of the same request, if any


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def known_ids(con: duckdb.DuckDBPyConnection, digests: list[str]) -> dict[str, int]:
    """body_id of each digest already stored."""
    rows = con.execute("select body_hash, body_id from raw_bodies where body_hash in"
                       " (select unnest(cast(? as varchar[])))", [sorted(set(digests))]).fetchall()
    return dict(rows)


def clear_cache() -> None:
    _cache.clear()


def store_key(con: duckdb.DuckDBPyConnection) -> str:
    """Which warehouse this connection writes (its file path): the cache's namespace."""
    return str(fetch_value(con, "select path from duckdb_databases() where database_name = current_database()"))


def put_bodies(con: duckdb.DuckDBPyConnection, bodies: list[NewBody]) -> dict[str, int]:
    """Insert bodies not stored yet (the caller checked), delta-compressed; return their new ids."""
    if not bodies:
        return {}
    store = store_key(con)
    next_id, depths = _next_id_and_depths(con, [new.base_id for new in bodies if new.base_id is not None])
    columns: dict[str, list] = {name: [] for name in _RAW_COLUMNS}
    ids = {}
    for offset, new in enumerate(bodies):
        base, depth = _usable_base(con, store, new.base_id, depths)
        compressor = zlib.compressobj(9, zdict=base) if base is not None else zlib.compressobj(9)
        row = (next_id + offset, new.body_hash, compressor.compress(new.body) + compressor.flush(), len(new.body),
               new.first_seen_at, new.base_id if base is not None else None, depth)
        for name, value in zip(_RAW_COLUMNS, row):
            columns[name].append(value)
        ids[new.body_hash] = next_id + offset
    # one statement over bound columns (executemany is row by row)
    con.execute(f"insert into raw_bodies by name {columns_select(_RAW_COLUMNS)}", columns)
    for new in bodies:  # cached only once stored: a failed insert must not leave ids behind
        _remember((store, ids[new.body_hash]), new.body)
    return ids


_RAW_COLUMNS = {"body_id": "integer", "body_hash": "varchar", "body_zlib": "blob", "size_bytes": "integer",
                "first_seen_at": "timestamptz", "base_id": "integer", "chain_depth": "integer"}


def _next_id_and_depths(con: duckdb.DuckDBPyConnection, base_ids: list[int]) -> tuple[int, dict[int, int]]:
    """The next body_id, and the chain depth of each base, in one statement."""
    next_id, depths = con.execute(
        "select (select coalesce(max(body_id), 0) + 1 from raw_bodies),"
        " (select map(list(body_id), list(chain_depth)) from raw_bodies"
        "  where body_id in (select unnest(cast(? as integer[]))))", [sorted(set(base_ids))]).fetchall()[0]
    return int(next_id), dict(depths or {})


def _usable_base(con: duckdb.DuckDBPyConnection, store: str, base_id: int | None,
                 depths: dict[int, int]) -> tuple[bytes | None, int]:
    """The base body and the new chain depth; no base (a keyframe) when the chain would be too long."""
    if base_id is None:
        return None, 0
    depth = depths.get(base_id)
    if depth is None or depth + 1 > MAX_CHAIN:
        return None, 0
    return get_body(con, base_id, store), depth + 1


def get_body(con: duckdb.DuckDBPyConnection, body_id: int, store: str | None = None) -> bytes:
    """The exact bytes of a stored body, decoding its delta chain (cached per warehouse)."""
    store = store or store_key(con)
    chain: list[tuple[int, bytes]] = []
    current: int | None = body_id
    while current is not None and (store, current) not in _cache:
        data, base = fetch_one(con, "select body_zlib, base_id from raw_bodies where body_id = ?", [current])
        chain.append((current, data))
        current = base
    body = _cache[(store, current)] if current is not None else None
    for key, data in reversed(chain):
        decompressor = zlib.decompressobj(zdict=body) if body is not None else zlib.decompressobj()
        body = decompressor.decompress(data) + decompressor.flush()
        _remember((store, key), body)
    return body  # type: ignore[return-value]


def _remember(key: tuple[str, int], body: bytes) -> None:
    _cache[key] = body
    _cache.move_to_end(key)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
