"""The raw layer's body store: content-addressed, byte-exact, delta-compressed.

A new body is zlib-compressed with the previous body of the same request as preset dictionary
(zdict), so an availability list that moved by one plan costs tens of bytes instead of a kilobyte.
Chains are capped (MAX_CHAIN): past it a self-contained keyframe is stored, so decoding one body
reads at most MAX_CHAIN rows. Bodies never change once stored, so decoded ones are cached by hash.
"""
from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.sql import fetch_one

MAX_CHAIN = 48
_CACHE_SIZE = 1024
_cache: OrderedDict[str, bytes] = OrderedDict()


@dataclass(frozen=True)
class NewBody:
    body_hash: str
    body: bytes
    first_seen_at: datetime
    base_hash: str | None  # the previous body of the same request, if any


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put_bodies(con: duckdb.DuckDBPyConnection, bodies: list[NewBody]) -> None:
    """Insert bodies not stored yet (the caller checked), delta-compressed against their base."""
    rows = []
    for new in bodies:
        base, depth = _usable_base(con, new.base_hash)
        compressor = zlib.compressobj(9, zdict=base) if base is not None else zlib.compressobj(9)
        data = compressor.compress(new.body) + compressor.flush()
        rows.append([new.body_hash, data, len(new.body), new.first_seen_at,
                     new.base_hash if base is not None else None, depth])
        _remember(new.body_hash, new.body)
    if rows:
        con.executemany("insert into raw_bodies values (?, ?, ?, ?, ?, ?)", rows)


def _usable_base(con: duckdb.DuckDBPyConnection, base_hash: str | None) -> tuple[bytes | None, int]:
    """The base body and the new chain depth; no base (a keyframe) when the chain would be too long."""
    if base_hash is None:
        return None, 0
    row = fetch_one(con, "select chain_depth from raw_bodies where body_hash = ?", [base_hash])
    if row is None or row[0] + 1 > MAX_CHAIN:
        return None, 0
    return get_body(con, base_hash), row[0] + 1


def get_body(con: duckdb.DuckDBPyConnection, digest: str) -> bytes:
    """The exact bytes of a stored body, decoding its delta chain (cached)."""
    chain: list[tuple[str, bytes]] = []
    current: str | None = digest
    while current is not None and current not in _cache:
        data, base = fetch_one(con, "select body_zlib, base_hash from raw_bodies where body_hash = ?",
                                [current])
        chain.append((current, data))
        current = base
    body = _cache[current] if current is not None else None
    for key, data in reversed(chain):
        decompressor = zlib.decompressobj(zdict=body) if body is not None else zlib.decompressobj()
        body = decompressor.decompress(data) + decompressor.flush()
        _remember(key, body)
    return _cache[digest] if digest in _cache else body  # type: ignore[return-value]


def _remember(digest: str, body: bytes) -> None:
    _cache[digest] = body
    _cache.move_to_end(digest)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
