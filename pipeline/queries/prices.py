"""Reads about regional prices and the API's shape: the effective price per (plan, region) and schema drift.

Same conventions as pipeline.queries.catalog: an open read-only connection in, a DataFrame out,
exact Decimal money, bound values.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from pipeline.queries.core import frame
from pipeline.sql import load_sql

if TYPE_CHECKING:  # pandas loads on first use (pipeline.queries is imported by `cheapest`)
    import pandas as pd


def plan_prices(con: duckdb.DuckDBPyConnection, region_id: str | None = None, plan_id: str | None = None,
                at: datetime | None = None) -> pd.DataFrame:
    """The plan_prices view (or plan_prices_at(at)): one row per (plan, region) offered, with the
    region's override where there is one (is_regional_price), else the base price."""
    params = {"ts": at, "region_id": region_id, "plan_id": plan_id}
    return frame(con, load_sql("queries/sql/plan_prices.sql"), params)


def schema_drift(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Fields the API sends that the model does not know: entity, field, first_snapshot_id, first_seen_at."""
    return frame(con, load_sql("queries/sql/schema_drift.sql"))
