"""Cached, read-only access to the published catalog for the dashboard.

Every read runs one pipeline.queries function on a short-lived read-only connection: the app never
holds a connection between script runs, so it never blocks a collection, and each connection attaches
the file as published when it opened. Within one script run (`one_connection()`, around the page in
streamlit_app.py) the reads that miss the cache share one connection per catalog version: attaching
costs 20-50 ms, and the first visit after a publish misses four reads before its answer. Results are
cached with a TTL and keyed on the catalog file's identity (queries.catalog_version: inode + mtime), so
a newly published catalog is seen at once. Opening is retried once, on a fresh connection: a catalog
swapped in by a publish at that instant must never show an error.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pipeline import queries

log = logging.getLogger(__name__)
TTL_S = 300
RETRY_PAUSE_S = 0.05
COORDINATES_CSV = Path(__file__).resolve().parent / "region_coordinates.csv"


def data_dir() -> str:
    """The data directory the app reads (VULTR_CATALOG_DATA_DIR, set by `vultr-catalog serve`)."""
    return str(queries.default_data_dir().resolve())


def catalog_version(directory: str | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published catalog, or None when there is none yet."""
    return queries.catalog_version(directory or data_dir())


def catalog_damage(exc: BaseException) -> str | None:
    """The message for a damaged catalog file (the command that recovers included), else None."""
    if isinstance(exc, queries.DamagedFileError):
        return str(exc)
    if isinstance(exc, (duckdb.Error, queries.CatalogError)) and queries.looks_damaged(exc):
        return str(queries.damaged_catalog(queries.catalog_path(Path(data_dir()))))
    return None


def has_catalog() -> bool:
    return catalog_version() is not None


_run = threading.local()  # .connections: {(directory, version): connection} inside one_connection()


@contextmanager
def one_connection() -> Iterator[None]:
    """Within the block, on this thread, reads that miss the cache share one connection per (data dir,
    catalog version), opened on the first miss; all are closed when the block ends (a rerun or
    st.stop() included)."""
    _run.connections = {}
    try:
        yield
    finally:
        connections, _run.connections = _run.connections, None
        for con in connections.values():
            con.close()


@contextmanager
def _connection(directory: str, version: tuple[int, int] | None, shared: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The run's shared connection for this catalog version (opened now if needed), else a fresh one
    closed after the read. A shared connection that failed is dropped, so a retry opens anew."""
    connections = getattr(_run, "connections", None)
    if connections is None or not shared:
        with queries.catalog(directory) as con:
            yield con
        return
    key = (directory, version)
    if key not in connections:
        connections[key] = queries.open_catalog(directory)
    try:
        yield connections[key]
    except BaseException:
        connections.pop(key).close()
        raise


@st.cache_data(ttl=TTL_S, max_entries=512, show_spinner=False)
def _cached(name: str, directory: str, version: tuple[int, int] | None, args: tuple, kwargs: tuple) -> Any:
    return _read_with_retry(name, directory, version, args, dict(kwargs))


def _read_with_retry(name: str, directory: str, version: tuple[int, int] | None, args: tuple, kwargs: dict) -> Any:
    for attempt in (1, 2):
        try:
            with _connection(directory, version, shared=attempt == 1) as con:
                return getattr(queries, name)(con, *args, **kwargs)
        except (duckdb.Error, queries.CatalogError) as exc:  # e.g. the file replaced while opening: one quiet retry
            if attempt == 2:
                raise
            log.info("retrying %s after %s", name, type(exc).__name__)
            time.sleep(RETRY_PAUSE_S)


def read(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run queries.<name>(con, *args, **kwargs) on a fresh read-only connection, cached."""
    directory = data_dir()
    return _cached(name, directory, catalog_version(directory), args, tuple(sorted(kwargs.items())))


def cheapest(plan_filter: queries.PlanFilter) -> pd.DataFrame:
    return read("cheapest", plan_filter)


def plans(plan_type: str | None = None) -> pd.DataFrame:
    return read("plans", plan_type=plan_type)


def regions() -> pd.DataFrame:
    return read("regions")


def operating_systems() -> pd.DataFrame:
    return read("operating_systems")


def availability_matrix(plan_type: str | None = None) -> pd.DataFrame:
    return read("availability_matrix", plan_type=plan_type)


def snapshots(limit: int = 50) -> pd.DataFrame:
    return read("snapshots", limit=limit)


def freshness() -> dict[str, Any]:
    """queries.freshness with the staleness rule applied now (the cached age would age): age_s,
    is_stale, stale_after_s and stale_after_is_default, exactly as `vultr-catalog status` decides."""
    fresh = dict(read("freshness"))
    rule = queries.staleness(data_dir(), fresh.get("last_ok_at"), datetime.now(UTC))
    fresh.update(age_s=rule.age_s, is_stale=rule.is_stale, stale_after_s=rule.stale_after_s,
                 stale_after_is_default=rule.is_default)
    return fresh


def schema_drift() -> pd.DataFrame:
    return read("schema_drift")


def price_history(plan_id: str, region_id: str | None = None) -> pd.DataFrame:
    return read("price_history", plan_id, region_id=region_id)


def latest_price_change() -> tuple[str, str | None] | None:
    return read("latest_price_change")


def plan_prices(plan_id: str | None = None, region_id: str | None = None) -> pd.DataFrame:
    """Prices now per (plan, region) offered (plan_prices view: the region's override, else the base)."""
    return read("plan_prices", plan_id=plan_id, region_id=region_id)


def stock_history(plan_id: str, region_id: str | None = None) -> pd.DataFrame:
    return read("stock_history", plan_id, region_id=region_id)


def changes(entity: str | None = None, region_id: str | None = None, since: datetime | None = None,
            until: datetime | None = None, limit: int = 1000) -> pd.DataFrame:
    return read("changes", entity=entity, region_id=region_id, since=since, until=until, limit=limit)


def change_count(entity: str | None = None, region_id: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> int:
    return read("change_count", entity=entity, region_id=region_id, since=since, until=until)


def stock_outlook(plan_id: str) -> pd.DataFrame:
    """The plan's stock outlook per region, for reading (durations in words, "too few to say")."""
    outlook = read("readable_stock_outlook", plan_id)
    return pd.DataFrame(outlook.rows, columns=outlook.columns)


def stock_summary(region_id: str | None = None, plan_id: str | None = None) -> pd.DataFrame:
    return read("stock_summary", region_id=region_id, plan_id=plan_id)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def public_columns(directory: str, version: tuple[int, int] | None) -> pd.DataFrame:
    return queries.public_columns(directory)


@st.cache_data(show_spinner=False)
def region_coordinates() -> pd.DataFrame:
    """The bundled region_id -> latitude/longitude table (source in its first line)."""
    return pd.read_csv(COORDINATES_CSV, comment="#", dtype={"region_id": "str"})


def region_names() -> dict[str, str]:
    """region_id -> "City (CC)" for labels; empty when there is no catalog."""
    frame = regions()
    return {row.region_id: f"{row.city} ({row.country})" for row in frame.itertuples()}


def fleet_enabled() -> bool:
    """Whether the private "Your fleet" page is on: `vultr-catalog serve --fleet` alone sets this."""
    return os.environ.get("VULTR_CATALOG_FLEET") == "1"


def fleet() -> pd.DataFrame:
    """The operator's servers, fetched live and priced against the catalog; never cached (private, live)."""
    from pipeline.account import fetch_servers  # the one live read of the app, only on the fleet page
    from pipeline.config import settings_from_env

    servers = fetch_servers(settings_from_env())
    with queries.catalog(data_dir()) as con:
        return queries.fleet_costs(con, servers)
