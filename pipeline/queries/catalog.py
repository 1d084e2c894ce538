"""Reads about the catalog as it is (or was at a moment): plans, regions, OS, stock matrix, freshness.

Every function takes an open read-only connection (`queries.open_catalog()` / `queries.catalog()`)
and returns a DataFrame with exact Decimal money; values are bound, never formatted into SQL.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline.queries.core import frame
from pipeline.sql import load_sql

if TYPE_CHECKING:  # pandas loads on first use: the CLI's quick paths never need it
    import pandas as pd

STOCK_STATUSES = ("in_stock", "sold_out", "not_offered")


def plans(con: duckdb.DuckDBPyConnection, plan_type: str | None = None, at: datetime | None = None) -> pd.DataFrame:
    """Plans current now (at=None) or as of `at`, optionally of one type; cheapest first."""
    return frame(con, load_sql("queries/sql/plans.sql"), {"at": at, "plan_type": plan_type})


def regions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Current regions, by region_id."""
    return frame(con, load_sql("queries/sql/regions.sql"))


def operating_systems(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Current operating systems, by family and name."""
    return frame(con, load_sql("queries/sql/operating_systems.sql"))


def availability_matrix(con: duckdb.DuckDBPyConnection, plan_type: str | None = None) -> pd.DataFrame:
    """Long frame, one row per current region x current plan (of the type): region_id, plan_id,
    plan_type, monthly_cost_usd, status in STOCK_STATUSES (sold_out = offered but not in stock)."""
    return frame(con, load_sql("queries/sql/availability_matrix.sql"), {"plan_type": plan_type})


def cheapest_per_region(con: duckdb.DuckDBPyConnection, plan_type: str | None = None) -> pd.DataFrame:
    """One row per region with something in stock now: its cheapest in-stock plan (of the type)."""
    return frame(con, load_sql("queries/sql/cheapest_per_region.sql"), {"plan_type": plan_type})


def snapshots(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """The most recent published snapshots, newest first."""
    return frame(con, load_sql("queries/sql/snapshots.sql"), [int(limit)])


def freshness(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> dict[str, Any]:
    """How fresh the catalog is: last_ok_snapshot_id, last_ok_at (its started_at), age_s (seconds
    since then, None without snapshots), snapshot_count, is_demo (any snapshot simulated), first_at."""
    import pandas as pd

    row = frame(con, load_sql("queries/sql/freshness.sql")).iloc[0]
    last_ok_at = _timestamp(row["last_ok_at"])
    now = now or datetime.now(UTC)
    return {
        "last_ok_snapshot_id": None if pd.isna(row["last_ok_snapshot_id"]) else int(row["last_ok_snapshot_id"]),
        "last_ok_at": last_ok_at,
        "age_s": None if last_ok_at is None else (now - last_ok_at).total_seconds(),
        "snapshot_count": int(row["snapshot_count"]),
        "is_demo": bool(row["is_demo"]),
        "first_at": _timestamp(row["first_at"]),
    }


def _timestamp(value: Any) -> datetime | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
