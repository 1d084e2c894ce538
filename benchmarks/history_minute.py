"""`bench_history --cadence 1m`: N simulated days of minute stock polls between hourly full collections
on the large timeline, in-process (emulator bodies via api.handle, no sockets).

Polls run at 17 s past each minute and the full collection at minute 17 of each hour, so that the
emulator's changes (on the hour) are caught by a stock poll, as real restocks at any moment would be.
Prints growth per day and per poll (a linear fit of the file size after each simulated day; the
year is extrapolated from that measured linear growth only), apply times by kind, query p95 on the
published catalog, and restock-to-recorded latency in simulated time.
"""
from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from benchmarks.common import print_table, summary_ms, timed
from pipeline import queries
from pipeline.collect.collector import ingest, stock_targets
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
OFFSET = timedelta(seconds=17)
FULL_MINUTE = 17
PUBLISHES = 5  # --queries-only: what each publish costs on the kept warehouse (runs after every snapshot)
STOCK = "select valid_from, valid_to from availability_history where region_id = ? and plan_id = ? order by valid_from"


def stock_calls(api: FakeVultr, region_ids: list[str], at: datetime) -> list:
    from benchmarks.bench_history import in_process_get
    get = in_process_get(api, at)
    return [get("availability", f"/regions/{r}/availability", {}) for r in region_ids]


def simulate(con: duckdb.DuckDBPyConnection, api: FakeVultr, days: int, data_dir: Path) -> dict:
    from benchmarks.bench_history import calls_at
    times: dict[str, list[float]] = {"full": [], "stock changed": [], "stock unchanged": []}
    sizes, regions = [], None
    calls: list = []
    for minute in range(days * 1440):
        at = T0 + minute * MINUTE + OFFSET
        kind = "full" if minute % 60 == FULL_MINUTE or regions is None else "stock"
        calls = calls_at(api, at) if kind == "full" else stock_calls(api, regions, at)
        sid = warehouse.start_snapshot(con, "v2", "bench", at, True, kind)
        started = time.perf_counter()
        changes, _ = ingest(con, sid, "v2", calls, at, accept_anomalies=True, kind=kind)
        elapsed = time.perf_counter() - started
        if kind == "full":
            regions = stock_targets(con, "v2")
            times["full"].append(elapsed)
        else:
            times["stock changed" if changes else "stock unchanged"].append(elapsed)
        if (minute + 1) % 1440 == 0:
            sizes.append(file_size(con, data_dir))
    return {"times": times, "sizes": sizes, "regions": regions, "last_calls": calls, "last_at": at}


def file_size(con: duckdb.DuckDBPyConnection, data_dir: Path) -> tuple[int, int]:
    """(file bytes, bytes in used blocks) after a checkpoint."""
    con.execute("checkpoint")
    used, block_size = con.execute("select used_blocks, block_size from pragma_database_size()").fetchall()[0]
    return (data_dir / "warehouse.duckdb").stat().st_size, int(used) * int(block_size)


def unchanged_polls(con: duckdb.DuckDBPyConnection, run: dict, data_dir: Path, n: int) -> dict:
    """n stock polls that find nothing new (a week of minute polls at n = 10,080): apply times and the
    growth they cost, file and used blocks (256 KiB each), measured, divided by n."""
    calls = run["last_calls"] if run["last_calls"][0].endpoint == "availability" else None
    assert calls, "the span must end on a stock poll"
    before, times = file_size(con, data_dir), []
    for i in range(n):
        at = run["last_at"] + (i + 1) * timedelta(seconds=1)  # same simulated hour: the same answers
        sid = warehouse.start_snapshot(con, "v2", "bench", at, True, "stock")
        times.append(timed(lambda: ingest(con, sid, "v2", calls, at, kind="stock")))
    after = file_size(con, data_dir)
    return {"times": times, "file": (after[0] - before[0]) / n, "used": (after[1] - before[1]) / n}


def extend_to_a_year(con: duckdb.DuckDBPyConnection, api: FakeVultr, days: int) -> int:
    """For the query figures only: the rest of the year as hourly full collections, plus the 59 minute
    polls of each hour as the snapshots rows they would have added. The emulator's catalog moves only
    on the hour, so those polls would have been unchanged, and an unchanged poll adds its snapshots
    row and nothing else; the history tables come out as a year of minute polls would leave them."""
    from benchmarks.bench_history import calls_at
    hours = (365 - days) * 24
    for h in range(hours):
        at = T0 + timedelta(days=days, hours=h, minutes=FULL_MINUTE) + OFFSET
        sid = warehouse.start_snapshot(con, "v2", "bench", at, True, "full")
        ingest(con, sid, "v2", calls_at(api, at), at, accept_anomalies=True)
    con.execute(
        "insert into snapshots (snapshot_id, api_version, base_url, started_at, finished_at, status, request_count,"
        " is_simulated, kind, change_count)"
        " select nextval('snapshot_ids'), 'v2', 'bench', t, t, 'ok', 32, true, 'stock', 0"
        " from (select unnest(generate_series(?::timestamptz, ?::timestamptz, interval 1 minute)) as t)"
        " where minute(t) <> ?",
        [T0 + timedelta(days=days) + OFFSET, T0 + timedelta(days=365) - MINUTE + OFFSET, FULL_MINUTE])
    con.execute("checkpoint")
    return hours


def linear_slope(values: list[int]) -> float:
    xs = list(range(len(values)))
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(values)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values)) / sum((x - mean_x) ** 2 for x in xs)


def restock_latencies(con: duckdb.DuckDBPyConnection, timeline: Timeline, days: int) -> list[float]:
    """Seconds from each restock (simulated) to the valid_from that recorded it."""
    out = []
    for event in timeline.events_between(T0 + OFFSET, T0 + timedelta(days=days) - MINUTE):
        if event["kind"] != "restocked":
            continue
        recorded = con.execute("select min(valid_from) from availability_history where region_id = ? and"
                               " plan_id = ? and valid_from >= ?",
                               [event["region_id"], event["plan_id"], event["at"]]).fetchall()[0][0]
        if recorded is not None:
            out.append((recorded - event["at"]).total_seconds())
    return out


def query_p95(catalog: duckdb.DuckDBPyConnection, days: int, n: int) -> list[list[str]]:
    rng = random.Random(1)
    region, plan = catalog.execute("select region_id, plan_id from availability_history group by all"
                                   " order by count(*) desc, region_id, plan_id limit 1").fetchone()
    past = [T0 + timedelta(minutes=rng.randrange(days * 1440)) for _ in range(n)]
    cases = {
        "current cheapest (fra, vhf)": lambda i: queries.cheapest(catalog, queries.PlanFilter("fra", "vhf")),
        "as-of cheapest at a random past minute": lambda i: queries.cheapest(
            catalog, queries.PlanFilter("fra", "vhf", at=past[i])),
        f"stock history of {plan} in {region}": lambda i: catalog.execute(STOCK, [region, plan]).fetchall(),
    }
    rows = []
    for name, fn in cases.items():
        fn(0)  # untimed: the first call loads pandas and pyarrow and reads the catalog's blocks
        rows.append([name, summary_ms([timed(lambda: fn(i)) for i in range(n)])])
    return rows


def main(days: int, n_queries: int, year: bool = False, unchanged: int = 10080, keep: Path | None = None) -> None:
    timeline = Timeline(seed=0, start_at=T0, scale="large")
    with tempfile.TemporaryDirectory() as tmp, FakeVultr(timeline=timeline, rate_limit=False) as api:
        data_dir = Path(tmp)
        if keep is not None:  # the built warehouse stays there for `--queries-only` (iterate in seconds)
            keep.mkdir(parents=True, exist_ok=False)
            data_dir = keep
        started = time.perf_counter()
        with warehouse.open_warehouse(data_dir) as con:
            run = simulate(con, api, days, data_dir)
            wall_s = time.perf_counter() - started
            run["unchanged"] = unchanged_polls(con, run, data_dir, unchanged)
            latencies = restock_latencies(con, timeline, days)
            counts = con.execute("select count(*), count(*) filter (kind = 'stock'),"
                                 " (select count(*) from _request_runs), (select count(*) from catalog_changes)"
                                 " from snapshots").fetchone()
            if year:
                extend_to_a_year(con, api, days)
                year_counts = con.execute("select count(*), (select count(*) from catalog_changes)"
                                          " from snapshots").fetchone()
                year_size = file_size(con, data_dir)[0]
            publish(con, data_dir)
        catalog = duckdb.connect(str(data_dir / "catalog.duckdb"), read_only=True)
        rows = query_p95(catalog, 365 if year else days, n_queries)
        catalog.close()
        catalog_size = (data_dir / "catalog.duckdb").stat().st_size
    report(days, run, counts, latencies, rows, catalog_size, wall_s)
    if year:
        print(f"\nQueries above ran on a year-shaped catalog: {days} measured days, then hourly full collections"
              f" and the minute polls' snapshots rows for the rest of the year ({year_counts[0]} snapshots,"
              f" {year_counts[1]} change events): warehouse {year_size / 2**20:.1f} MiB, published catalog"
              f" {catalog_size / 2**20:.1f} MiB.")


def report(days, run, counts, latencies, query_rows, catalog_size, wall_s) -> None:
    sizes = [size for size, _ in run["sizes"]]
    used = [used_bytes for _, used_bytes in run["sizes"]]
    fitted = sizes[1:] if len(sizes) >= 3 else sizes  # day 1 holds the baseline catalog: fit from day 2
    per_day = linear_slope(fitted) if len(fitted) >= 2 else float("nan")
    per_day_used = linear_slope(used[1:] if len(used) >= 3 else used) if len(used) >= 2 else float("nan")
    year = sizes[-1] + per_day * (365 - days)
    unchanged = run["unchanged"]
    print(f"\nSpan: {days} simulated days at a 1-minute cadence on the large timeline: {counts[0]} snapshots"
          f" ({counts[1]} stock polls, {counts[0] - counts[1]} full), {counts[2]} request-log runs,"
          f" {counts[3]} change events; wall time {wall_s:.0f} s.")
    if days < 7:
        print("Fewer than 7 simulated days: the growth figures below are not the 7-day measurement.")
    times = {**run["times"], f"stock unchanged ({len(unchanged['times'])} more, frozen catalog)": unchanged["times"]}
    print_table("Apply (store raw + apply + mark ok, one commit) per snapshot", ["kind", "count", "time"],
                [[k, len(v), summary_ms(v) if v else "n/a"] for k, v in times.items()])
    print("\nWarehouse after each simulated day (file KiB / KiB in used blocks): "
          + ", ".join(f"{s // 1024}/{b // 1024}" for s, b in run["sizes"]))
    print_table("Size", ["measure", "value"], [
        [f"warehouse after {days} days", f"{sizes[-1] / 2**20:.2f} MiB (published catalog {catalog_size / 2**20:.2f} MiB)"],
        [f"growth per unchanged poll ({len(unchanged['times'])} polls, a week at one a minute)",
         f"file {unchanged['file'] / 1024:.3f} KiB, used blocks {unchanged['used'] / 1024:.3f} KiB"],
        ["growth per day, linear fit from day 2 (file / used blocks)",
         f"{per_day / 1024:.0f} KiB / {per_day_used / 1024:.0f} KiB"],
        ["a year (525,600 polls incl. 8,760 full), extrapolated from the measured linear growth",
         f"{year / 2**20:.1f} MiB"],
    ])
    print_table("Restock to recorded (simulated time)", ["restocks", "median", "max"], [[
        len(latencies), f"{statistics.median(latencies):.0f} s" if latencies else "n/a",
        f"{max(latencies):.0f} s" if latencies else "n/a"]])
    print_table("Query latency on the published catalog", ["query", "history catalog"], query_rows)


def queries_only(kept: Path, n_queries: int) -> None:
    """Only the query figures, on a warehouse kept by `--keep`: published again by this checkout's code
    into a temporary copy (the kept directory is left as it is, so two checkouts can share it)."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        shutil.copyfile(kept / "warehouse.duckdb", data_dir / "warehouse.duckdb")
        with warehouse.open_warehouse(data_dir) as con:
            last = con.execute("select max(started_at) from snapshots where status = 'ok'").fetchone()[0]
            publishes = [timed(lambda: publish(con, data_dir)) for _ in range(PUBLISHES)]  # every poll publishes
        days = max(1, (last - T0).days)
        catalog = duckdb.connect(str(data_dir / "catalog.duckdb"), read_only=True)
        rows = query_p95(catalog, days, n_queries)
        catalog.close()
        size = (data_dir / "catalog.duckdb").stat().st_size
    print_table(f"Query latency on the published catalog of {kept} ({days} days, catalog {size / 2**20:.1f} MiB)",
                ["query", "history catalog"], [*rows, [f"publish the catalog ({PUBLISHES} times)", summary_ms(publishes)]])
