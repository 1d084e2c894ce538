"""Full v2 collection against the emulator at 0 ms and 100 ms added latency, beside a sequential crawl.

Prints: request count, wall time (median of N runs), the 30 requests/s floor, and the time to load
and publish one snapshot once the bodies are in.  Usage: python -m benchmarks.bench_collect [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import print_table, timed
from pipeline.collect.collector import collect, ingest
from pipeline.collect.http import HttpClient
from pipeline.collect.sources import fetch_catalog
from pipeline.config import Settings
from pipeline.fakeapi import FakeVultr
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish


def collection_times(api: FakeVultr, latency_ms: int, runs: int, concurrency: int) -> tuple[list[float], int]:
    api.latency_ms = latency_ms
    times, requests = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), base_url=api.base_url + "/v2", concurrency=concurrency)
            api.reset_rate_limits()
            result = collect(settings)
            times.append(result.elapsed_s)
            requests = result.request_count
    return times, requests


def load_and_publish_times(api: FakeVultr, runs: int) -> tuple[list[float], list[float]]:
    """Bodies fetched once; then time store+apply (a baseline snapshot) and publish on fresh warehouses."""
    api.latency_ms = 0
    client = HttpClient(Settings(base_url=api.base_url + "/v2"))
    fetch_catalog(client)
    loads, publishes = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, warehouse.open_warehouse(Path(tmp)) as con:
            at = datetime.now(UTC)
            sid = warehouse.start_snapshot(con, "v2", api.base_url, at, False)
            loads.append(timed(lambda: ingest(con, sid, "v2", client.calls, at)))
            publishes.append(timed(lambda: publish(con, Path(tmp))))
    return loads, publishes


def main(runs: int = 3) -> None:
    rows = []
    with FakeVultr().start() as api:
        for latency in (0, 100):
            times, requests = collection_times(api, latency, runs, concurrency=8)
            rows.append([f"concurrent (8 workers), {latency} ms latency", requests,
                         f"{statistics.median(times):.2f}", f"{requests / 30:.2f}"])
        times, requests = collection_times(api, 100, 1, concurrency=1)
        rows.append(["sequential crawl, 100 ms latency", requests, f"{statistics.median(times):.2f}",
                     f"{requests / 30:.2f}"])
        loads, publishes = load_and_publish_times(api, runs)
    print_table(f"v2 collection against the emulator (median of {runs} runs; sequential: 1 run)",
                ["collection", "requests", "seconds", "30 req/s floor (s)"], rows)
    added = float(rows[1][2]) - float(rows[0][2])
    print(f"\n100 ms of latency adds {added:.2f} s to the concurrent collection; "
          f"the sequential crawl takes {float(rows[2][2]):.2f} s.")
    print(f"load (raw + staging + history) of one snapshot: median {statistics.median(loads) * 1000:.0f} ms; "
          f"publish catalog.duckdb: median {statistics.median(publishes) * 1000:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    main(parser.parse_args().runs)
