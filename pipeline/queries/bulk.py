"""Whole-catalog reads as plain rows (no pandas): for a publisher that renders everything at once (the
static site, pipeline.site), where importing pandas and building a DataFrame per read would cost more
than the reads. Each runs the same SQL model as its DataFrame twin (pipeline.queries.catalog, .history,
.prices) where there is one, so both always agree; price_versions and stock_intervals read every plan's
history at once.
"""
from __future__ import annotations

from typing import Any

import duckdb

from pipeline.queries.core import Rows, rows
from pipeline.sql import load_sql, optional_lines

# model -> the parameters that make it answer for the whole current catalog (None: not narrowed)
CURRENT: dict[str, Any] = {
    "regions": None,
    "plans": {"at": None, "plan_type": None},
    "plan_prices": {"ts": None, "region_id": None, "plan_id": None},
    "availability_matrix": {"plan_type": None},
    "freshness": None,
    "changes_count": [None] * 8,
    "price_versions": None,
    "stock_intervals": None,
}


def current(con: duckdb.DuckDBPyConnection, model: str) -> Rows:
    """A named model of pipeline/queries/sql over the whole current catalog (`CURRENT` lists them)."""
    params = CURRENT[model]
    query = load_sql(f"queries/sql/{model}.sql")
    if isinstance(params, dict):
        query, params = optional_lines(query, params)
    return rows(con, query, params)


def stock_events(con: duckdb.DuckDBPyConnection, per_plan: int = 50) -> Rows:
    """Each plan's newest `per_plan` sell-outs and restocks: plan_id, region_id, changed_at, event
    (`sell_out` | `restock`), snapshot_id; by plan, newest first."""
    return rows(con, load_sql("queries/sql/stock_events.sql"), {"per_plan": int(per_plan)})


def feed_changes(con: duckdb.DuckDBPyConnection, per_feed: int = 500) -> Rows:
    """The changes that feeds of the newest `per_feed` need (all; per region; per plan type), newest first,
    each flagged with the feeds it belongs to (is_newest, is_newest_in_region, is_newest_in_type) and
    its plan_type."""
    return rows(con, load_sql("queries/sql/feed_changes.sql"), {"per_feed": int(per_feed)})
