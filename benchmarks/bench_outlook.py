"""An honest check of the stock outlook: does a sell-out end within the p90 the outlook stated when it began?

Replays a long simulated stock history (the emulator's timeline: synthetic sell-out durations that vary
per sell-out and differ per plan, pipeline/fakeapi/timeline.py) into availability_history, then at each
sell-out asks the real stock_outlook_at macro for that pair as of the moment it sold out (the 30 days of
history before it, nothing after), and compares the stated p90 and median with the actual restock.
Prints: sell-outs checked (those with a number; "too few to say" ones are counted apart), the share that
ended within the stated p90 (near 90 % is honest), and the median error of the stated median, in hours.
Usage: python -m benchmarks.bench_outlook [--days 180] [--seed 0] [--window 30]
"""
from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime, timedelta

import duckdb

from benchmarks.common import print_table
from pipeline.fakeapi import Timeline
from pipeline.sql import load_sql

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = """
create table snapshots (snapshot_id integer, started_at timestamptz, status varchar);
create table availability_history (region_id varchar, plan_id varchar, valid_from timestamptz, valid_to timestamptz);
create table plan_locations_history (plan_id varchar, region_id varchar, valid_from timestamptz, valid_to timestamptz);
"""


def replay(timeline: Timeline, end_at: datetime) -> tuple[duckdb.DuckDBPyConnection, list[tuple]]:
    """The history's in-stock intervals in a fresh database; and every completed sell-out
    (region, plan, sold out at, restocked at) with its actual end."""
    start = timeline.catalog_at(T0)
    open_since = {(rid, pid): T0 for rid, ids in start.in_stock.items() for pid in ids}
    intervals, sell_outs, sold = [], [], {}
    for event in timeline.events_between(T0, end_at):
        pair = (event["region_id"], event["plan_id"])
        if event["kind"] == "sold_out" and pair in open_since:
            intervals.append((*pair, open_since.pop(pair), event["at"]))
            sold[pair] = event["at"]
        elif event["kind"] == "restocked":
            open_since[pair] = event["at"]
            if pair in sold:
                sell_outs.append((*pair, sold.pop(pair), event["at"]))
    intervals += [(*pair, since, None) for pair, since in open_since.items()]
    con = duckdb.connect()
    con.execute(SCHEMA)
    con.executemany("insert into snapshots values (?, ?, 'ok')", [(1, T0), (2, end_at)])
    con.executemany("insert into availability_history values (?, ?, ?, ?)", intervals)
    con.execute(load_sql("warehouse/sql/views/31_stock_outlook_at.sql"))
    return con, sell_outs


def check(con: duckdb.DuckDBPyConnection, sell_outs: list[tuple], window_days: int,
          warm_up: datetime) -> tuple[list[tuple[float, float, float]], int]:
    """(actual, stated median, stated p90) in hours for each sell-out the outlook had a number for, and
    how many were "too few to say"; one macro call per hour at which sell-outs began."""
    by_moment: dict[datetime, list[tuple]] = {}
    for region_id, plan_id, sold_at, back_at in sell_outs:
        if sold_at >= warm_up:
            by_moment.setdefault(sold_at, []).append((region_id, plan_id, back_at))
    judged, too_few = [], 0
    for moment, pairs in sorted(by_moment.items()):
        stated = {(r, p): (m, p90) for r, p, m, p90 in con.execute(
            "select region_id, plan_id, median_sell_out_s, p90_sell_out_s from stock_outlook_at($at, $days)"
            " where sold_out_since_at = $at", {"at": moment, "days": window_days}).fetchall()}
        for region_id, plan_id, back_at in pairs:
            median_s, p90_s = stated.get((region_id, plan_id), (None, None))
            if p90_s is None:
                too_few += 1
                continue
            judged.append(((back_at - moment).total_seconds() / 3600, median_s / 3600, p90_s / 3600))
    return judged, too_few


def main(days: int = 180, seed: int = 0, window_days: int = 30) -> None:
    end_at = T0 + timedelta(days=days)
    con, sell_outs = replay(Timeline(seed=seed, start_at=T0), end_at)
    judged, too_few = check(con, sell_outs, window_days, T0 + timedelta(days=window_days))
    within = sum(1 for actual, _, p90 in judged if actual <= p90)
    errors = [abs(actual - median) for actual, median, _ in judged]
    print_table(f"Stock outlook calibration (synthetic timeline, seed {seed}, {days} days, {window_days}-day window)",
                ["sell-outs with a number", "too few to say", "restocked within the stated p90",
                 "median error of the stated median"],
                [[f"{len(judged):,}", f"{too_few:,}", f"{within / max(1, len(judged)):.1%}",
                  f"{statistics.median(errors) if errors else float('nan'):.2f} h"]])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=30)
    args = parser.parse_args()
    main(args.days, args.seed, args.window)
