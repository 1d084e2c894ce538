"""Small helpers shared by the benchmark scripts: timing, medians and percentiles, tables."""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:8.1f} ms  p95 {percentile(values, 0.95) * 1000:8.1f} ms"


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n## {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")


def demo_parser(doc: str, data_dir_help: str) -> argparse.ArgumentParser:
    """The options of a benchmark that measures a demo history: build one (--days) or reuse one (--data-dir)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="demo history length to build (default 7)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help=data_dir_help)
    return parser


def load_text() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def on_demo_history(args: argparse.Namespace, measure: Callable[[Path, Path], None]) -> None:
    """Run measure(data_dir, scratch_dir) on args.data_dir, or on a demo history of args.days built first;
    the load average before and after, since the machine is shared."""
    from pipeline.service.demo import build_demo_history  # the benchmarks that time imports load it late

    print(f"load average {load_text()} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if not args.data_dir:
            summary = build_demo_history(data_dir, days=args.days)
            print(f"demo history: {summary.snapshots} snapshots, {summary.changes} changes ({summary.seconds:.0f}s)")
        measure(data_dir, Path(tmp))
    print(f"load average {load_text()} at the end")
