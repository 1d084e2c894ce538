"""The raw layer's body store: content-addressed, byte-exact, delta-compressed.

Each distinct body (sha256) is stored once, under a small integer body_id that the request log
references (an id compresses to a few bits per row; a hex hash would cost 64 bytes). A new body is
zlib-compressed with the previous body of the same request as preset dictionary (zdict), so an
availability list that moved by one plan costs tens of bytes instead of a kilobyte. Chains are
capped (MAX_CHAIN): past it a self-contained keyframe is stored, so decoding one body reads at
most MAX_CHAIN rows. Bodies never change once stored, so decoded ones are cached, keyed by the
warehouse file and the id (ids are only unique within one warehouse), and only once inserted. Which
bodies are stored already (digest -> id) a long-running collector answers from memory (`lookup`).
"""
from __future__ import annotations

import hashlib
import os
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from pipeline.errors import CatalogError
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


@dataclass(frozen=True)
class Lookup:
    """What storing new bodies needs to know, read in one statement (each statement costs a minute
    cadence ~1 ms whatever it does)."""
    known: dict[str, int]       # body_id of each digest asked about that is already stored
    next_id: int                # the body_id of the next body stored
    depths: dict[int, int]      # chain depth of each base asked about (absent: not stored)
    bases: frozenset[int]       # the bases asked about


@dataclass
class _Stored:
    """Every stored body of one warehouse: digest -> body_id (a repeated digest keeps the last id, as
    reading the rows in id order into a dict does) and body_id -> chain depth, as of `count` rows
    below `next_id`."""
    ids: dict[str, int]
    depths: dict[int, int]
    count: int
    next_id: int


_stored: dict[str, _Stored] = {}  # by store_key, like the cache
_scanned: set[str] = set()  # stores looked up once by a scan (the index is read at the second lookup)


def lookup(con: duckdb.DuckDBPyConnection, digests: list[str], base_ids: list[int]) -> Lookup:
    """The stored ids of these digests, the next body_id, and the chain depth of these bases.

    A process that stores more than once (`schedule`) answers from an index of every stored body kept
    in memory per warehouse, read whole at its second lookup (a one-shot collection looks up once, or
    twice when the gate rejects it), then only checked. Matching the digests in a scan costs a changed
    stock poll 1.6 ms on a week of minute polls and 13-20 ms on a year (108k bodies); the check 0.8 and
    1.4-2.4 ms (reading the index on the year: ~0.15 s, once; ~24 MB). An index on body_hash would add
    12.8 MiB to a year's file. The check is a count and a max: rows are
    only added, by increasing id (after a rolled-back insert the index no longer matches and is read
    again), rewritten in place only by the key scrub (which clears this), and dropped only by `repair`
    (which puts a new file in place: another store_key)."""
    store = store_key(con)
    if store not in _stored and store not in _scanned:  # a process's first lookup: one scan, no index
        _scanned.add(store)
        return _scan(con, digests, base_ids)
    count, next_id = con.execute("select count(*), coalesce(max(body_id), 0) + 1 from raw_bodies").fetchall()[0]
    stored = _stored.get(store)
    if stored is None or (stored.count, stored.next_id) != (count, next_id):
        stored = _stored[store] = _read_stored(con, int(count), int(next_id))
    return Lookup({digest: stored.ids[digest] for digest in digests if digest in stored.ids}, int(next_id),
                  {base: stored.depths[base] for base in base_ids if base in stored.depths}, frozenset(base_ids))


def _scan(con: duckdb.DuckDBPyConnection, digests: list[str], base_ids: list[int]) -> Lookup:
    # one scan, no join: a join (or a scalar subquery) per answer costs more planning than it saves
    known, next_id, depths = con.execute(
        "select list((body_hash, body_id)) filter (where list_contains(cast($digests as varchar[]), body_hash)),"
        " coalesce(max(body_id), 0) + 1,"
        " list((body_id, chain_depth)) filter (where list_contains(cast($bases as integer[]), body_id))"
        " from raw_bodies",
        {"digests": sorted(set(digests)), "bases": sorted(set(base_ids))}).fetchall()[0]
    # unnamed structs come back as tuples; a repeated key keeps the last, as dict(rows) would
    return Lookup(dict(known or ()), int(next_id), dict(depths or ()), frozenset(base_ids))


def _read_stored(con: duckdb.DuckDBPyConnection, count: int, next_id: int) -> _Stored:
    rows = con.execute("select body_hash, body_id, chain_depth from raw_bodies order by body_id").fetchall()
    return _Stored({digest: body_id for digest, body_id, _ in rows}, {body_id: depth for _, body_id, depth in rows},
                   count, next_id)


def _note_stored(store: str, columns: dict[str, list[Any]]) -> None:
    """Add bodies this connection just inserted (ids from next_id up) to the index it looked up."""
    stored = _stored.get(store)
    if stored is None or not columns["body_id"] or columns["body_id"][0] != stored.next_id:
        _stored.pop(store, None)
        return
    for digest, body_id, depth in zip(columns["body_hash"], columns["body_id"], columns["chain_depth"]):
        stored.ids[digest] = body_id
        stored.depths[body_id] = depth
    stored.count += len(columns["body_id"])
    stored.next_id = columns["body_id"][-1] + 1


def clear_cache() -> None:
    _cache.clear()
    _stored.clear()
    _scanned.clear()


_stores: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = weakref.WeakKeyDictionary()


def store_key(con: duckdb.DuckDBPyConnection) -> str:
    """Which warehouse this connection writes: the cache's and the index's namespace. Its file path and
    inode, so that a file `repair` put in its place (ids rebuilt from what was readable) is another
    warehouse. Read once per connection (a connection's database never changes)."""
    key = _stores.get(con)
    if key is None:
        path = fetch_value(con, "select path from duckdb_databases() where database_name = current_database()")
        key = _stores[con] = f"{path}#{_inode(path)}"
    return key


def _inode(path: object) -> int:
    try:
        return os.stat(str(path)).st_ino if path else 0
    except OSError:  # an in-memory database has no file
        return 0


def put_bodies(con: duckdb.DuckDBPyConnection, bodies: list[NewBody], known: Lookup | None = None) -> dict[str, int]:
    """Insert bodies not stored yet (the caller checked), delta-compressed; return their new ids.
    `known`: a `lookup` made in this transaction that asked about every base (else one is made)."""
    if not bodies:
        return {}
    store = store_key(con)
    base_ids = [new.base_id for new in bodies if new.base_id is not None]
    if known is None or not known.bases.issuperset(base_ids):  # no index read for this: a scan, unless there is one
        known = lookup(con, [], base_ids) if store in _stored else _scan(con, [], base_ids)
    next_id, depths = known.next_id, known.depths
    columns: dict[str, list[Any]] = {name: [] for name in _RAW_COLUMNS}
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
    _note_stored(store, columns)
    for new in bodies:  # cached only once stored: a failed insert must not leave ids behind
        _remember((store, ids[new.body_hash]), new.body)
    return ids


_RAW_COLUMNS = {"body_id": "integer", "body_hash": "varchar", "body_zlib": "blob", "size_bytes": "integer",
                "first_seen_at": "timestamptz", "base_id": "integer", "chain_depth": "integer"}


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
        row = fetch_one(con, "select body_zlib, base_id from raw_bodies where body_id = ?", [current])
        if row is None:  # a delta chain pointing at a row that is gone: the warehouse is damaged
            raise CatalogError(f"raw body {current} is missing from the warehouse")
        data, base = row
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
