"""Everything the site shows, read from the published catalog in one brief read-only connection.

The site is a reader like the dashboard: it goes through pipeline.queries only (an import-linter contract
holds this), and every page is rendered from this one snapshot of the catalog, so no two pages of a build
can disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pipeline import queries
from pipeline.queries import bulk

FEED_SIZE = 500          # newest changes per Atom feed
EVENTS_PER_PLAN = 50     # sell-outs and restocks listed on a plan page
Record = dict[str, Any]


@dataclass
class SiteData:
    generated_at: datetime
    fresh: Record                     # queries.freshness: last_ok_at, last_ok_snapshot_id, is_demo, ...
    regions: list[Record]             # by region_id
    plans: list[Record]               # the plans view, cheapest first
    offers: list[Record]              # cheapest(any, offered): every (plan, region) on demand, ranked
    prices: list[Record]              # plan_prices: every offered (plan, region) at the region's price
    matrix: list[Record]              # availability_matrix: region x plan -> status
    price_history: list[Record]       # price versions of every plan
    stock_intervals: list[Record]     # in-stock intervals of every plan
    stock_events: list[Record]        # each plan's newest sell-outs and restocks
    changes: list[Record] = field(default_factory=list)  # the newest FEED_SIZE changes
    changes_by_region: dict[str, list[Record]] = field(default_factory=dict)
    changes_by_type: dict[str, list[Record]] = field(default_factory=dict)
    change_total: int = 0

    @property
    def is_demo(self) -> bool:
        return bool(self.fresh["is_demo"])

    def plan_types(self) -> list[str]:
        return sorted({p["plan_type"] for p in self.plans if p["plan_type"]})


def read_site_data(con: duckdb.DuckDBPyConnection, now: datetime) -> SiteData:
    """Every read the pages, feeds and data files need, on one read-only connection, as plain rows."""
    offers = queries.cheapest_rows(con, queries.PlanFilter(queries.ANY_REGION, in_stock_only=False))
    fresh = records(bulk.current(con, "freshness"))[0]
    data = SiteData(
        generated_at=now, fresh=fresh, offers=records(offers),
        regions=records(bulk.current(con, "regions")),
        plans=records(bulk.current(con, "plans")),
        prices=records(bulk.current(con, "plan_prices")),
        matrix=records(bulk.current(con, "availability_matrix")),
        price_history=price_versions(records(bulk.current(con, "price_versions"))),
        stock_intervals=records(bulk.current(con, "stock_intervals")),
        stock_events=records(bulk.stock_events(con, EVENTS_PER_PLAN)),
        change_total=int(bulk.current(con, "changes_count").rows[0][0]),
    )
    _sort_feeds(data, records(bulk.feed_changes(con, FEED_SIZE)))
    return data


def _sort_feeds(data: SiteData, changes: list[Record]) -> None:
    """Each change into the feeds it belongs to (newest first already); every current region and plan type
    gets its feed, empty or not."""
    data.changes = [c for c in changes if c["is_newest"]]
    data.changes_by_region = {r["region_id"]: [] for r in data.regions}
    data.changes_by_type = {t: [] for t in data.plan_types()}
    for change in changes:
        if change["is_newest_in_region"] and change["region_id"] in data.changes_by_region:
            data.changes_by_region[change["region_id"]].append(change)
        if change["is_newest_in_type"] and change["plan_type"] in data.changes_by_type:
            data.changes_by_type[change["plan_type"]].append(change)


def price_versions(versions: list[Record]) -> list[Record]:
    """Each plan's price versions: consecutive versions with the same prices (one that changed another field)
    merged into one, as the dashboard's price history shows them."""
    merged: list[Record] = []
    for v in versions:
        last = merged[-1] if merged else None
        if (last and last["plan_id"] == v["plan_id"] and last["valid_to"] == v["valid_from"]
                and (last["monthly_cost_usd"], last["hourly_cost_usd"]) == (v["monthly_cost_usd"], v["hourly_cost_usd"])):
            last["valid_to"] = v["valid_to"]
        else:
            merged.append(dict(v))
    return merged


def records(result: queries.Rows) -> list[Record]:
    return [dict(zip(result.columns, row)) for row in result.rows]
