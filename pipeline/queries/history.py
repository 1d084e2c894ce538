"""Reads about how the catalog changed: price versions, in-stock intervals, the change log, stock summary.

Same conventions as pipeline.queries.catalog: an open read-only connection in, a DataFrame out,
exact Decimal money, bound values.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads on first use: the CLI's quick paths never need it
    import pandas as pd

import duckdb

from pipeline.queries.core import frame
from pipeline.sql import load_sql


def price_history(con: duckdb.DuckDBPyConnection, plan_id: str, region_id: str | None = None) -> pd.DataFrame:
    """One row per price version of a plan: valid_from, valid_to (NULL = current), monthly_cost_usd,
    hourly_cost_usd: its base price, or with region_id its price in that region (the override, else the
    base price, while offered there). Versions that changed other fields only are merged."""
    return frame(con, load_sql("queries/sql/price_history.sql"), {"plan_id": plan_id, "region_id": region_id or ""})


def latest_price_change(con: duckdb.DuckDBPyConnection) -> tuple[str, str | None] | None:
    """(plan_id, region_id or None for a base price) of the latest price change, None when none changed."""
    found = con.execute(load_sql("queries/sql/latest_price_change.sql")).fetchall()
    return (found[0][0], found[0][1]) if found else None


def stock_history(con: duckdb.DuckDBPyConnection, plan_id: str, region_id: str | None = None) -> pd.DataFrame:
    """In-stock intervals of a plan (in one region, or all): region_id, plan_id, valid_from, valid_to
    (NULL = still in stock)."""
    return frame(con, load_sql("queries/sql/stock_history.sql"), {"plan_id": plan_id, "region_id": region_id})


def changes(con: duckdb.DuckDBPyConnection, entity: str | None = None, region_id: str | None = None,
            since: datetime | None = None, until: datetime | None = None, limit: int = 1000) -> pd.DataFrame:
    """catalog_changes rows, newest first; since is inclusive, until exclusive."""
    params = {"entity": entity, "region_id": region_id, "since": since, "until": until, "limit": int(limit)}
    return frame(con, load_sql("queries/sql/changes.sql"), params)


def change_count(con: duckdb.DuckDBPyConnection, entity: str | None = None, region_id: str | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> int:
    """How many catalog_changes rows match (the total, where changes() stops at its limit)."""
    params = [entity, entity, region_id, region_id, since, since, until, until]
    return int(frame(con, load_sql("queries/sql/changes_count.sql"), params)["change_count"].iloc[0])


def stock_summary(con: duckdb.DuckDBPyConnection, region_id: str | None = None,
                  plan_id: str | None = None) -> pd.DataFrame:
    """Rows of the stock_summary view (one per region x plan ever offered or in stock)."""
    return frame(con, load_sql("queries/sql/stock_summary.sql"), {"region_id": region_id, "plan_id": plan_id})
