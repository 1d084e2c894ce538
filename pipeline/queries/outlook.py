"""The stock outlook of a plan per region, from the stock history: how often it sold out in a window,
how long a sell-out lasted (median, p90, longest), the share of time in stock, how long the current
sell-out has run and the last restock. One SQL definition (the stock_outlook_at macro, whose 30-day
answer is the public view stock_outlook) serves `stock`, the dashboard and the alert messages."""
from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

import duckdb

from pipeline.errors import UnknownChoiceError
from pipeline.queries.core import Rows, check_region, rows
from pipeline.queries.formatting import MISSING, plural, ratio_text, span_text, utc_text
from pipeline.sql import load_sql

DEFAULT_DAYS = 30
TOO_FEW = "too few to say"


def stock_outlook(con: duckdb.DuckDBPyConnection, plan_id: str, region_id: str | None = None,
                  days: int = DEFAULT_DAYS, as_of: datetime | None = None) -> Rows:
    """The outlook rows (the stock_outlook view's columns) of a plan in every region that ever offered it,
    or in one; UnknownChoiceError for a plan, region or pair the history never knew."""
    check_plan(con, plan_id)
    if region_id is not None:
        check_region(con, region_id)
    params = {"plan_id": plan_id, "region_id": region_id, "days": int(days), "as_of": as_of}
    found = rows(con, load_sql("queries/sql/stock_outlook.sql"), params)
    if region_id is not None and not found.rows:
        raise UnknownChoiceError(f"{plan_id} was never offered in {region_id}")
    return found


def outlooks_at(con: duckdb.DuckDBPyConnection, as_of: datetime,
                days: int = DEFAULT_DAYS) -> dict[tuple[str, str], dict[str, Any]]:
    """Every pair's outlook as of a moment, by (plan_id, region_id): what an alert about a change then says."""
    params = {"plan_id": None, "region_id": None, "days": int(days), "as_of": as_of}
    found = rows(con, load_sql("queries/sql/stock_outlook.sql"), params)
    return {(row[0], row[1]): dict(zip(found.columns, row)) for row in found.rows}


def check_plan(con: duckdb.DuckDBPyConnection, plan_id: str) -> None:
    known = [r[0] for r in con.execute("select distinct plan_id from plans_history order by 1").fetchall()]
    if plan_id not in known:
        close = difflib.get_close_matches(plan_id, known, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UnknownChoiceError(f"unknown plan {plan_id!r}{hint} (`vultr-catalog sql \"select plan_id from plans\"`"
                                 " lists them)")


def outlook_sentence(row: dict[str, Any]) -> str:
    """`Over 30 days: 12 sell-outs, back within 2 h 05 min (median), 9 h (p90).` (`Since 2026-12-01 00:00 UTC:
    ...` while the history is shorter than the window)."""
    days, start, end = int(row["window_days"]), row.get("window_start_at"), row.get("as_of_at")
    is_short = start is not None and end is not None and (end - start).total_seconds() < days * 86400
    span = f"Since {utc_text(start)}" if is_short else f"Over {plural(days, 'day')}"
    head = f"{span}: {plural(int(row['sell_out_count']), 'sell-out')}"
    if not row["has_enough_sell_outs"]:
        return f"{head}, {TOO_FEW} how long one lasts."
    return (f"{head}, back within {span_text(row['median_sell_out_s'])} (median), "
            f"{span_text(row['p90_sell_out_s'])} (p90).")


def readable_stock_outlook(con: duckdb.DuckDBPyConnection, plan_id: str, region_id: str | None = None,
                           days: int = DEFAULT_DAYS) -> Rows:
    """stock_outlook() for reading (the dashboard's plan page)."""
    return readable(stock_outlook(con, plan_id, region_id, days))


READABLE_COLUMNS = ("region", "in stock", "sell-outs", "median", "p90", "longest", "in stock share",
                    "sold out for", "last restock")


def readable(outlook: Rows) -> Rows:
    """The outlook for reading (`stock --format table`, the dashboard): durations in words, and
    "too few to say" where there are under 3 sell-outs."""
    out = []
    for values in outlook.rows:
        row = dict(zip(outlook.columns, values))
        few = not row["has_enough_sell_outs"]
        stats = [TOO_FEW if few else span_text(row[k]) for k in ("median_sell_out_s", "p90_sell_out_s",
                                                                 "longest_sell_out_s")]
        out.append((row["region_id"], "yes" if row["is_in_stock"] else "no", str(row["sell_out_count"]), *stats,
                    ratio_text(row["in_stock_share"]),
                    MISSING if row["is_in_stock"] else span_text(row["sold_out_for_s"]),
                    utc_text(row["last_restocked_at"])))
    return Rows(list(READABLE_COLUMNS), out)
