"""Apply a stock poll: availability only, in as few statements as the minute cadence can afford.

A stock poll stages availability alone (its regions, plans and operating systems are the current
ones), so tidying, the quality gate and the diff against the current availability are one query
(checks/stock_poll.sql) and writing the diff is two statements (catalog_changes, then the history
merge). Every DuckDB statement costs a poll about a millisecond whatever it does; the generic merge
(history.merge_entity) takes six for the same result. `rebuild` replays stock polls through this
same path, so the incremental and the rebuilt history cannot disagree.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.sql import load_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StockPoll:
    changes: list[tuple[str, str, str]]   # (change_type added|removed, region_id, plan_id)
    warnings: list[str]                   # what tidying dropped, one line
    anomalies: list[str]                  # the quality gate's reasons to reject the poll


def read_poll(con: duckdb.DuckDBPyConnection, regions: list | None) -> StockPoll:
    """What the staged poll (stg_availability) changes; `regions`: only these were staged (None: all)."""
    changes, dropped, reasons = con.execute(load_sql("warehouse/sql/checks/stock_poll.sql"),
                                            {"regions": regions}).fetchall()[0]
    warnings = [dropped_warning(dropped)] if dropped else []
    for warning in warnings:
        log.warning("staging: %s", warning)
    return StockPoll(list(changes or ()), warnings, list(reasons or ()))


def dropped_warning(plan_ids: list[str]) -> str:
    """The one line that reports availability dropped for naming a plan absent from the catalog."""
    names = sorted(set(plan_ids))
    return (f"availability: {len(plan_ids)} region-plan pair(s) name a plan absent from the catalog "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}); dropped")


def record(con: duckdb.DuckDBPyConnection, snapshot_id: int, at: datetime, changes: list[tuple[str, str, str]]) -> int:
    """Write the poll's changes: their catalog_changes rows, then the availability versions they
    close (removed: valid_to) and open (added); returns the catalog_changes rows recorded."""
    if not changes:
        return 0
    columns = {name: [change[i] for change in changes] for i, name in enumerate(("change_type", "region_id", "plan_id"))}
    con.execute(load_sql("warehouse/sql/history/stock_changes.sql"), {**columns, "snapshot_id": snapshot_id, "at": at})
    con.execute(load_sql("warehouse/sql/history/stock_merge.sql"), {**columns, "at": at})
    return len(changes)
