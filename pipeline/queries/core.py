"""Core reads: opening the published catalog read-only, DataFrames with exact money, the cheapest finder.

Every reader opens the catalog the same way: a private in-memory database with the file ATTACHed
read-only. `duckdb.connect(path)` would share one cached database instance per path per process, and
an instance opened before a publish keeps answering from the file that `os.replace` swapped out; an
attach opens the file as it is now, so each new connection sees the latest publish.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline.config import default_data_dir
from pipeline.errors import (
    CatalogError,
    DamagedFileError,
    HistoryRangeError,
    NoCatalogError,
    UnknownChoiceError,
    UnknownRegionError,
    directory_in_the_way,
    first_line,
    looks_damaged,
)
from pipeline.paths import catalog_path
from pipeline.queries.pricing import with_hourly_estimate_rows, with_hourly_estimate_table
from pipeline.sql import create_model_table, define_rules, load_sql, optional_lines, quote_literal

CATALOG_ALIAS = "catalog"  # the attached catalog's database name (current_database() in every reader)

if TYPE_CHECKING:  # pandas and pyarrow load on first use: `cheapest` on the CLI never needs them
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class Rows:
    """A drained result without pandas: column names and rows of Python values (Decimal money)."""
    columns: list[str]
    rows: list[tuple[Any, ...]]


@cache
def nullable_ints() -> dict[str, Any]:
    """Arrow integer types -> pandas nullable integer dtypes (NULL stays NULL, not a float NaN)."""
    import pandas as pd
    import pyarrow as pa

    return {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype()}


# `con.sql(q).arrow()` binds the query once to learn its columns, then plans it again to run it: for a
# query like cheapest.sql that doubles its cost. `execute()` plans once; the extra copy of the rows its
# Arrow output makes (what DuckDB warns about) is small next to a second plan for what readers fetch.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning,
                        module=r"pipeline\.queries\.core$")


# Below this many rows Arrow converts to pandas column by column on this thread: its thread pool costs
# more than it saves on a small answer (~0.4 of ~1.8 ms for cheapest's 28 columns).
THREADED_FRAME_ROWS = 10_000


def frame(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
    """Run a query into a DataFrame, keeping DECIMAL as exact Decimal (`.df()` would give floats)
    and integers as nullable integers. The result is fully drained (DuckDB 2 insists)."""
    return to_frame(arrow_table(con, query, params))


def arrow_table(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
    return con.execute(query, params or []).to_arrow_table()


def to_frame(table: pa.Table) -> pd.DataFrame:
    """frame()'s DataFrame from an Arrow result."""
    return table.to_pandas(types_mapper=nullable_ints().get, use_threads=table.num_rows >= THREADED_FRAME_ROWS)


def rows(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | dict[str, Any] | None = None) -> Rows:
    """Run a query into plain rows (no pandas): what the CLI prints."""
    result = con.execute(query, params or [])
    return Rows([d[0] for d in result.description], result.fetchall())


def published_catalog(data_dir: Path | str | None = None) -> Path:
    """The published catalog's path; NoCatalogError saying which command to run when there is none."""
    path = catalog_path(Path(data_dir) if data_dir else default_data_dir())
    if not path.exists():
        raise NoCatalogError(f"no catalog at {path}: run `vultr-catalog collect` (or `make demo`) first")
    if path.is_dir():
        raise directory_in_the_way(path)
    return path


def catalog_version(data_dir: Path | str | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published catalog, None when there is none: every publish replaces the
    file, so this changes with each publish (a cache key that never pins an old answer)."""
    try:
        stat = catalog_path(Path(data_dir) if data_dir else default_data_dir()).stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def open_catalog(data_dir: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published catalog as published now (close it soon: readers
    should be brief; a connection keeps reading the file it attached)."""
    path = published_catalog(data_dir)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {quote_literal(str(path))} as {CATALOG_ALIAS} (read_only)")
        con.execute(f"use {CATALOG_ALIAS}")
        define_rules(con, temporary=True)  # this release's rules, even in a catalog published before them
    except duckdb.Error as exc:
        con.close()
        if looks_damaged(exc):
            raise damaged_catalog(path) from None
        raise CatalogError(f"cannot open {path} ({first_line(exc)}); it must be a catalog "
                           "written by vultr-catalog with DuckDB 2.x") from None
    except BaseException:
        con.close()
        raise
    return con


def damaged_catalog(path: Path) -> DamagedFileError:
    return DamagedFileError(f"the catalog file {path} is damaged: run `vultr-catalog repair --data-dir "
                            f"{path.parent}` (or the next successful `vultr-catalog collect` replaces it)")


@contextmanager
def catalog(data_dir: Path | str | None = None, threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """open_catalog() for a with-block; `threads=1` suits one small query (a CLI call): waking DuckDB's
    thread pool costs more than it gains there, several times more on a busy host."""
    con = open_catalog(data_dir)
    try:
        if threads:
            con.execute("set threads = ?", [threads])
        yield con
    except duckdb.Error as exc:  # a file cut short opens, and fails only where a read reaches the cut
        if looks_damaged(exc):
            raise damaged_catalog(published_catalog(data_dir)) from None
        raise
    finally:
        con.close()


ANY_REGION = "any"  # PlanFilter.region_id: search every region


@dataclass(frozen=True)
class PlanFilter:
    """What `cheapest` answers: region_id is a region id or ANY_REGION ("any"); continent (e.g.
    "Europe") narrows to that continent's regions; gpu_type is the API's string (NVIDIA_A16)."""
    region_id: str
    plan_type: str | None = None
    min_vcpu: int = 0
    min_ram_mb: int = 0
    min_disk_gb: int = 0
    max_monthly_cost_usd: Decimal | None = None
    in_stock_only: bool = True
    at: datetime | None = None
    continent: str | None = None
    gpu_type: str | None = None
    min_gpu_vram_gb: int | None = None
    cpu_vendor: str | None = None
    cpu_allocation: str | None = None  # shared | dedicated


def cheapest(con: duckdb.DuckDBPyConnection, f: PlanFilter) -> pd.DataFrame:
    """(plan, region) rows in stock by default, deployable on demand, at the region's effective price
    (its override, else the base price), cheapest monthly first; ties: more vCPUs, more RAM, plan_id,
    region_id. Raises UnknownRegionError naming the regions (or continents) that exist."""
    params = cheapest_params(f)
    result = _run_cheapest(arrow_table, con, params)
    if not result.num_rows:
        _check_filter(con, f, params)
    return to_frame(with_hourly_estimate_table(result))


def cheapest_rows(con: duckdb.DuckDBPyConnection, f: PlanFilter) -> Rows:
    """`cheapest` as plain rows, without pandas (the CLI)."""
    params = cheapest_params(f)
    result = _run_cheapest(rows, con, params)
    if not result.rows:
        _check_filter(con, f, params)
    return Rows(*with_hourly_estimate_rows(result.columns, result.rows))


OFFERS_HISTORY = "warehouse/sql/derived/_offers_history.sql"


def _run_cheapest(run: Callable[..., Any], con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> Any:
    """cheapest.sql, which reads the catalog's _offers_history; a catalog published before that table
    existed (until the next publish) gets it built on this connection, as a temporary table, from the
    history it holds (as the publish would have built it)."""
    query = optional_lines(load_sql("queries/sql/cheapest.sql"), params)
    try:
        return run(con, *query)
    except duckdb.CatalogException:
        if _has_offers_history(con):
            raise
    create_model_table(con, OFFERS_HISTORY, temporary=True)
    return run(con, *query)


def _has_offers_history(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = current_database()"
                            " and schema_name = 'main' and table_name = '_offers_history'").fetchall()[0][0])


def cheapest_params(f: PlanFilter) -> dict[str, Any]:
    region_id = None if f.region_id in (ANY_REGION, None) else f.region_id
    return {"ts": f.at or datetime.now(UTC), "region_id": region_id, "continent": f.continent,
            "plan_type": f.plan_type,
            "min_vcpu": f.min_vcpu, "min_ram_mb": f.min_ram_mb, "min_disk_gb": f.min_disk_gb,
            "max_monthly_cost_usd": f.max_monthly_cost_usd, "in_stock_only": f.in_stock_only,
            "gpu_type": f.gpu_type, "min_gpu_vram_gb": f.min_gpu_vram_gb, "cpu_vendor": f.cpu_vendor,
            "cpu_allocation": f.cpu_allocation}


def _check_filter(con: duckdb.DuckDBPyConnection, f: PlanFilter, params: dict[str, Any]) -> None:
    """Name what is unknown in a filter that found nothing. Checked only then: a row found has a region,
    continent and plan type of that moment, at a moment the history covers, so no check could fail."""
    at, region_id = params["ts"], params["region_id"]
    if region_id is not None:
        check_region(con, region_id, at)
    elif f.at is not None:
        check_history_covers(con, at)
    if f.continent is not None:
        check_continent(con, f.continent, at)
    check_plan_type(con, f.plan_type, at)
    check_known_value(con, "gpu_type", "GPU type", f.gpu_type, at)
    check_known_value(con, "cpu_vendor", "CPU vendor", f.cpu_vendor, at)


# The plan attributes a filter may name (a column name is never user input: this set says which).
_PLAN_VALUE_COLUMNS = {"gpu_type", "cpu_vendor"}


def known_values(con: duckdb.DuckDBPyConnection, column: str, at: datetime | None = None) -> list[str]:
    """The distinct values of a plan attribute (gpu_type, cpu_vendor) in the catalog of that moment."""
    if column not in _PLAN_VALUE_COLUMNS:
        raise ValueError(column)
    at = at or datetime.now(UTC)
    rows = con.execute(f"select distinct {column} from plans_at(cast(? as timestamptz)) "
                       f"where {column} is not null order by 1", [at])
    return [r[0] for r in rows.fetchall()]


def check_known_value(con: duckdb.DuckDBPyConnection, column: str, label: str, value: str | None,
                      at: datetime | None = None) -> None:
    """UnknownChoiceError naming the valid values (any case matches) when value is not one of them."""
    if value is None:
        return
    known = known_values(con, column, at)
    if value.lower() not in {k.lower() for k in known}:
        raise UnknownChoiceError(f"unknown {label} {value!r}; {label}s: {', '.join(known) or '(none)'}")


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the catalog holds demo data (any applied snapshot simulated), without pandas."""
    return bool(con.execute("select coalesce(bool_or(is_simulated), false) from snapshots"
                            " where status = 'ok'").fetchall()[0][0])


def check_continent(con: duckdb.DuckDBPyConnection, continent: str, at: datetime | None = None) -> None:
    at = at or datetime.now(UTC)
    rows = con.execute("select distinct continent from regions_at(cast(? as timestamptz))"
                       " where continent is not null order by continent", [at]).fetchall()
    known = [r[0] for r in rows]
    if continent.lower() not in {k.lower() for k in known}:
        raise UnknownRegionError(f"unknown continent {continent!r}; continents: {', '.join(known) or '(none)'}")


def region_ids(con: duckdb.DuckDBPyConnection, at: datetime | None = None) -> list[str]:
    at = at or datetime.now(UTC)
    rows = con.execute("select region_id from regions_at(cast(? as timestamptz)) order by region_id", [at])
    return [r[0] for r in rows.fetchall()]


def check_region(con: duckdb.DuckDBPyConnection, region_id: str, at: datetime | None = None) -> None:
    """UnknownRegionError naming the regions of that moment; before the history starts, say when it does."""
    known = region_ids(con, at)
    if not known and at is not None:
        check_history_covers(con, at)
    if region_id not in known:
        raise UnknownRegionError(f"unknown region {region_id!r}; regions: {', '.join(known) or '(none)'}")


def plan_types(con: duckdb.DuckDBPyConnection, at: datetime | None = None) -> list[str]:
    at = at or datetime.now(UTC)
    rows = con.execute("select distinct plan_type from plans_at(cast(? as timestamptz)) "
                       "where plan_type is not null order by plan_type", [at])
    return [r[0] for r in rows.fetchall()]


def check_plan_type(con: duckdb.DuckDBPyConnection, plan_type: str | None, at: datetime | None = None) -> None:
    """UnknownChoiceError naming the plan types of that moment (None = any type, always fine)."""
    if plan_type is None:
        return
    known = plan_types(con, at)
    # a family (voc) names each of its types (voc-c, voc-g, ...)
    if plan_type not in known and not any(k.startswith(plan_type + "-") for k in known):
        raise UnknownChoiceError(f"unknown plan type {plan_type!r}; types: {', '.join(known) or '(none)'}")


def history_start(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the first successful snapshot was taken (None without one)."""
    value: datetime | None = con.execute("select min(started_at) from snapshots where status = 'ok'").fetchall()[0][0]
    return value


def check_history_covers(con: duckdb.DuckDBPyConnection, at: datetime) -> None:
    """A moment before the first snapshot has no catalog: say when the history starts."""
    start = history_start(con)
    if start is None:
        raise NoCatalogError("the catalog has no successful snapshot yet: run `vultr-catalog collect` first")
    if at < start:
        raise HistoryRangeError(f"no history at {at:%Y-%m-%d %H:%M:%S}Z: the history starts at "
                                f"{start.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z; use --at from then on")


def run_sql(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    return frame(con, query)
