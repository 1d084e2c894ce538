"""CLI start-up, measured in one run against bare-interpreter baselines (medians of N runs each):
`--help` against `python -c pass`, `cheapest` against `python -c "import duckdb"`, and a whole v1
collection (start-up included) against its 2 requests/s floor, with the emulator's v1 rate limit on.

Usage: python -m benchmarks.bench_cli [--runs N]
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table
from pipeline.fakeapi import FakeVultr
from pipeline.service.demo import build_demo_history

CLI = [sys.executable, "-m", "pipeline"]


def wall_s(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def v1_collection(runs: int) -> tuple[float, int]:
    """Median wall time of `collect --api-version v1` as a process, and its request count."""
    times, requests = [], 0
    with FakeVultr().start() as api:
        for _ in range(runs):
            api.reset_rate_limits()
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                done = subprocess.run([*CLI, "collect", "--api-version", "v1", "--base-url", f"{api.base_url}/v1",
                                       "--data-dir", tmp], check=True, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                requests = int(re.search(r"(\d+) requests", done.stdout).group(1))
    return statistics.median(times), requests


def main(runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        build_demo_history(demo, days=1)
        bare = wall_s([sys.executable, "-c", "pass"], runs)
        help_s = wall_s([*CLI, "--help"], runs)
        duckdb_s = wall_s([sys.executable, "-c", "import duckdb"], runs)
        cheapest_s = wall_s([*CLI, "cheapest", "--region", "fra", "--data-dir", str(demo)], runs)
    v1_s, requests = v1_collection(max(1, runs // 3))
    floor = requests / 2.0
    print_table(f"CLI start-up (median of {runs} runs; v1 collection: {max(1, runs // 3)})",
                ["measure", "seconds", "against", "ratio / gap", "target"], [
        ["python -c pass", f"{bare:.3f}", "", "", ""],
        ["vultr-catalog --help", f"{help_s:.3f}", "python -c pass", f"{help_s / bare:.1f}x", "<= 8x"],
        ['python -c "import duckdb"', f"{duckdb_s:.3f}", "", "", ""],
        ["vultr-catalog cheapest --region fra", f"{cheapest_s:.3f}", "import duckdb",
         f"+{cheapest_s - duckdb_s:.2f} s", "<= +0.6 s"],
        [f"vultr-catalog collect --api-version v1 ({requests} requests)", f"{v1_s:.2f}",
         f"2 requests/s floor {floor:.1f} s", f"{v1_s / floor:.2f}x", "<= 1.2x"],
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    main(parser.parse_args().runs)
