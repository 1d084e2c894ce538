"""A simulated span of hourly snapshots of a today-sized catalog, with realistic churn, beside a naive
baseline that stores every snapshot in full, measured in the same run.

Prints: ingest time per snapshot, size on disk (extrapolated to a year from the measured growth when
the span is shorter), time to apply an unchanged snapshot, and query latency (median, p95) for the
current cheapest, as-of cheapest at a random past time, and one plan's stock history in one region.
Bodies come from the emulator in-process (api.handle: no sockets), so the figures are the warehouse's.
Usage: python -m benchmarks.bench_history [--cadence 1h|1m] [--days N] [--queries N] [--year]
[--keep DIR] [--queries-only DIR]
(--cadence 1m: minute stock polls between hourly full collections, see benchmarks/history_minute.py)
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import duckdb

from benchmarks.common import print_table, summary_ms, timed
from pipeline import queries
from pipeline.collect.collector import ingest
from pipeline.collect.http import Call
from pipeline.collect.sources import v2
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.sql import quote_literal
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
NAIVE_TABLES = {"plans": "plans_history", "regions": "regions_history", "operating_systems": "operating_systems_history",
                "plan_locations": "plan_locations_history", "availability": "availability_history"}


def in_process_get(api: FakeVultr, at: datetime):
    """A GET answered by the emulator in-process as of `at`, returned as the client's Call."""
    headers = {"X-Fake-Now": at.isoformat()}

    def get(name: str, path: str, params: dict[str, str]) -> Call:
        query = f"?{urlencode(params)}" if params else ""
        status, reply_headers, body = api.handle("GET", f"/v2{path}{query}", headers)
        return Call(name, path, params, status, body, 0.0, at, reply_headers.get("Content-Type", ""))
    return get


def calls_at(api: FakeVultr, at: datetime) -> list[Call]:
    """The calls the v2 source makes, answered in-process as of `at` (lists fit one 500-item page)."""
    get = in_process_get(api, at)
    calls = [get(e.name, e.path, {**dict(e.params), "per_page": "500"}) for e in v2.LISTS]
    region_ids = [r["id"] for r in json.loads(calls[0].body)["regions"]]
    return calls + [get("availability", f"/regions/{r}/availability", {}) for r in region_ids]


def create_naive(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"attach {quote_literal(str(path))} as naive")
    for name, source in NAIVE_TABLES.items():
        con.execute(f"create table naive.{name} as select 0 as snapshot_id, now() as taken_at,"
                    f" * exclude (valid_from, valid_to) from {source} limit 0")


def store_naive(con: duckdb.DuckDBPyConnection, snapshot_id: int, at: datetime) -> None:
    """The baseline: every snapshot's whole catalog, stored again in full."""
    for name, source in NAIVE_TABLES.items():
        con.execute(f"insert into naive.{name} select ?, ?, * exclude (valid_from, valid_to)"
                    f" from {source} where valid_to is null", [snapshot_id, at])


def run_span(con: duckdb.DuckDBPyConnection, api: FakeVultr, hours: int, data_dir: Path) -> dict:
    ingest_s, naive_s, sizes = [], [], {}
    for h in range(hours):
        at = T0 + h * HOUR
        calls = calls_at(api, at)
        sid = warehouse.start_snapshot(con, "v2", "bench", at, True)
        ingest_s.append(timed(lambda: ingest(con, sid, "v2", calls, at, accept_anomalies=True)))
        naive_s.append(timed(lambda: store_naive(con, sid, at)))
        if h + 1 in (hours // 2, hours):
            con.execute("checkpoint")
            sizes[h + 1] = (data_dir / "warehouse.duckdb").stat().st_size, (data_dir / "naive.duckdb").stat().st_size
    return {"ingest_s": ingest_s, "naive_s": naive_s, "sizes": sizes, "last_calls": calls, "last_at": at}


def unchanged_apply_times(con: duckdb.DuckDBPyConnection, calls: list[Call], at: datetime,
                          data_dir: Path, n: int = 1000) -> tuple[list[float], float, tuple]:
    """Re-collect an unchanged catalog n times: apply times, disk growth per re-collect (bytes; the
    file grows in 256 KiB blocks, hence many runs) and the rows added in all (raw, history, changes)."""
    con.execute("checkpoint")
    before = (data_dir / "warehouse.duckdb").stat().st_size
    rows_before = con.execute(ROW_COUNTS).fetchall()[0]
    times = []
    for _ in range(n):
        sid = warehouse.start_snapshot(con, "v2", "bench", at, True)
        times.append(timed(lambda: ingest(con, sid, "v2", calls, at)))
    con.execute("checkpoint")
    added = tuple(a - b for a, b in zip(con.execute(ROW_COUNTS).fetchall()[0], rows_before))
    return times, ((data_dir / "warehouse.duckdb").stat().st_size - before) / n, added


ROW_COUNTS = """select (select count(*) from raw_bodies), (select count(*) from availability_history)
    + (select count(*) from plans_history) + (select count(*) from regions_history), (select count(*) from catalog_changes),
    (select count(*) from _request_runs)"""


def busiest_pair(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return con.execute("select region_id, plan_id from availability_history group by all"
                       " order by count(*) desc, region_id, plan_id limit 1").fetchone()


NAIVE_CHEAPEST = """
with snap as (select max(snapshot_id) as snapshot_id from naive.plans where taken_at <= ?)
select p.plan_id, p.monthly_cost_usd from naive.availability a
join naive.plans p on p.snapshot_id = a.snapshot_id and p.plan_id = a.plan_id
where a.snapshot_id = (select snapshot_id from snap) and a.region_id = ? and p.plan_type = ?
order by p.monthly_cost_usd, p.vcpu_count desc, p.ram_mb desc, p.plan_id"""
NAIVE_STOCK = """
with seen as (select snapshot_id, taken_at from naive.availability where region_id = ? and plan_id = ?),
runs as (select taken_at, snapshot_id - row_number() over (order by snapshot_id) as run from seen)
select min(taken_at) as valid_from, max(taken_at) as last_seen_at from runs group by run order by 1"""
STOCK = "select valid_from, valid_to from availability_history where region_id = ? and plan_id = ? order by valid_from"


def query_latencies(catalog_con, naive_con, hours: int, n: int) -> list[list[str]]:
    rng = random.Random(1)
    region, plan = busiest_pair(catalog_con)
    past = [T0 + HOUR * rng.randrange(hours) + timedelta(minutes=30) for _ in range(n)]
    now = T0 + HOUR * hours
    cases = {
        "current cheapest (fra, vhf)": (
            lambda i: queries.cheapest(catalog_con, queries.PlanFilter("fra", "vhf")),
            lambda i: naive_con.execute(NAIVE_CHEAPEST, [now, "fra", "vhf"]).fetchall()),
        "as-of cheapest at a random past hour": (
            lambda i: queries.cheapest(catalog_con, queries.PlanFilter("fra", "vhf", at=past[i])),
            lambda i: naive_con.execute(NAIVE_CHEAPEST, [past[i], "fra", "vhf"]).fetchall()),
        f"stock history of {plan} in {region}": (
            lambda i: catalog_con.execute(STOCK, [region, plan]).fetchall(),
            lambda i: naive_con.execute(NAIVE_STOCK, [region, plan]).fetchall()),
    }
    rows = []
    for name, (ours, naive) in cases.items():
        ours_s = [timed(lambda: ours(i)) for i in range(n)]
        naive_s = [timed(lambda: naive(i)) for i in range(n)]
        rows.append([name, summary_ms(ours_s), summary_ms(naive_s)])
    return rows


def main(days: int, n_queries: int) -> None:
    hours = days * 24
    with tempfile.TemporaryDirectory() as tmp, FakeVultr(timeline=Timeline(seed=0, start_at=T0, scale="large"),
                                                          rate_limit=False) as api:
        data_dir = Path(tmp)
        with warehouse.open_warehouse(data_dir) as con:
            started = time.perf_counter()
            first = calls_at(api, T0)
            ingest(con, warehouse.start_snapshot(con, "v2", "bench", T0 - HOUR, True), "v2", first, T0 - HOUR)
            create_naive(con, data_dir / "naive.duckdb")
            span = run_span(con, api, hours, data_dir)
            total_s = time.perf_counter() - started
            unchanged = unchanged_apply_times(con, span["last_calls"], span["last_at"], data_dir)
            con.execute("detach naive")
            publish(con, data_dir)
            counts = con.execute("select (select count(*) from plans_history where valid_to is null),"
                                 " (select count(*) from regions_history where valid_to is null),"
                                 " (select count(*) from catalog_changes)").fetchone()
        catalog_size = (data_dir / "catalog.duckdb").stat().st_size
        catalog_con = duckdb.connect(str(data_dir / "catalog.duckdb"), read_only=True)
        naive_con = duckdb.connect()
        naive_con.execute(f"attach {quote_literal(str(data_dir / 'naive.duckdb'))} as naive (read_only)")
        latencies = query_latencies(catalog_con, naive_con, hours, n_queries)
        catalog_con.close()
        naive_con.close()
    report(days, hours, span, unchanged, catalog_size, counts, latencies, total_s)


def report(days, hours, span, unchanged, catalog_size, counts, latencies, total_s) -> None:
    (h1, (w1, n1)), (h2, (w2, n2)) = sorted(span["sizes"].items())
    per_snapshot = ((w2 - w1) / (h2 - h1), (n2 - n1) / (h2 - h1))
    year = [(w2 + per_snapshot[0] * (8760 - h2)) / 2**20, (n2 + per_snapshot[1] * (8760 - h2)) / 2**20]
    print(f"\nSpan: {days} days = {hours} hourly snapshots of {counts[0]} plans, {counts[1]} regions"
          f" (large-scale timeline), {counts[2]} change events; wall time {total_s:.0f} s.")
    print_table("Ingest and size", ["measure", "history warehouse", "naive (every snapshot in full)"], [
        ["ingest per snapshot", summary_ms(span["ingest_s"]), summary_ms(span["naive_s"]) + " (extra)"],
        [f"size after {h2} snapshots", f"{w2 / 2**20:.1f} MiB (published catalog {catalog_size / 2**20:.1f} MiB)",
         f"{n2 / 2**20:.1f} MiB"],
        ["growth per snapshot", f"{per_snapshot[0] / 1024:.1f} KiB", f"{per_snapshot[1] / 1024:.1f} KiB"],
        ["a year (8,760 snapshots)" + (" extrapolated" if h2 < 8760 else ""), f"{year[0]:.1f} MiB",
         f"{year[1]:.1f} MiB"],
        ["apply an unchanged snapshot", summary_ms(unchanged[0]), "n/a"],
        ["disk per unchanged re-collect (1,000 runs)", f"{max(0.0, unchanged[1]) / 1024:.2f} KiB; rows added: "
         f"{unchanged[2][0]} raw bodies, {unchanged[2][1]} history, {unchanged[2][2]} changes, "
         f"{unchanged[2][3]} request-log runs", "= growth per snapshot"],
    ])
    print_table("Query latency", ["query", "history catalog", "naive baseline"], latencies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadence", choices=("1h", "1m"), default="1h")
    parser.add_argument("--days", type=int)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--unchanged", type=int, default=10080,
                        help="1m: unchanged polls measured after the span (default a week of minutes)")
    parser.add_argument("--year", action="store_true",
                        help="1m: run the queries on a year-shaped catalog (the measured days, then hourly)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="1m: build the warehouse in DIR (new) and keep it, for --queries-only")
    parser.add_argument("--queries-only", type=Path, metavar="DIR",
                        help="1m: only the query figures, on the warehouse kept in DIR (published again)")
    args = parser.parse_args()
    if args.queries_only:
        from benchmarks import history_minute
        history_minute.queries_only(args.queries_only, args.queries)
    elif args.cadence == "1m":
        from benchmarks import history_minute
        history_minute.main(args.days or 7, args.queries, year=args.year, unchanged=args.unchanged, keep=args.keep)
    else:
        main(args.days or 365, args.queries)
