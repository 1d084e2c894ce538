"""How fast the dashboard answers in a real browser (Playwright + Debian's chromium) on a demo history.

Measures (1) opening a shared link (/?region=fra&type=vhf) in a fresh browser context until the one-sentence
answer is visible, and (2) changing a filter (Min vCPUs) until the new answer is visible. Each is measured
warm (the app's TTL cache may answer) and uncached (the catalog file's mtime is bumped before each run, which
invalidates the cache key, so every run really queries DuckDB). Prints medians; asserts nothing.

    .venv/bin/python benchmarks/bench_dashboard.py [--days 7] [--runs 7] [--data-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.formatting import answer_sentence  # noqa: E402
from pipeline import queries  # noqa: E402
from pipeline.service.demo import build_demo_history  # noqa: E402
from pipeline.paths import catalog_path  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEADLINE_MS = 30_000


def expected(data_dir: Path, min_vcpu: int) -> str:
    with queries.catalog(data_dir) as con:
        ranked = queries.cheapest(con, queries.PlanFilter("fra", "vhf", min_vcpu=min_vcpu))
        city = queries.regions(con).set_index("region_id").loc["fra", "city"]
    return answer_sentence(ranked, city, "vhf", in_stock_only=True)


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--data-dir",
                                str(data_dir)], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the dashboard did not start")


def one_run(browser, url: str, answers: dict[int, str], touch: Path | None) -> tuple[float, float]:
    """Seconds from goto(shared link) to the answer, and from a filter change to the new answer."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        if touch:
            os.utime(touch)
        started = time.perf_counter()
        page.goto(f"{url}/?region=fra&type=vhf")
        page.get_by_text(answers[0], exact=True).wait_for(timeout=DEADLINE_MS)
        link_s = time.perf_counter() - started
        if touch:
            os.utime(touch)
        box = page.get_by_label("Min vCPUs")
        started = time.perf_counter()
        box.fill("2")
        box.press("Enter")
        page.get_by_text(answers[2], exact=True).wait_for(timeout=DEADLINE_MS)
        return link_s, time.perf_counter() - started
    finally:
        context.close()


def measure(data_dir: Path, runs: int) -> None:
    answers = {0: expected(data_dir, 0), 2: expected(data_dir, 2)}
    process, url = start_server(data_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            first = one_run(browser, url, answers, None)
            print(f"first visit after server start: link -> answer {first[0]:.3f}s, "
                  f"filter change -> answer {first[1]:.3f}s")
            for label, touch in (("warm", None), ("uncached", catalog_path(data_dir))):
                results = [one_run(browser, url, answers, touch) for _ in range(runs)]
                links, changes = zip(*results)
                print(f"{label:8s} ({runs} runs): shared link -> answer median {statistics.median(links):.3f}s "
                      f"(max {max(links):.3f}s); filter change -> new answer median {statistics.median(changes):.3f}s "
                      f"(max {max(changes):.3f}s)")
            browser.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def main(argv: list[str] | None = None) -> None:
    """Run with defaults when called without argv (as `make bench` does); the script passes its own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="demo history length to build (default 7)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="reuse an existing data dir (its catalog mtime is bumped)")
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if not args.data_dir:
            summary = build_demo_history(data_dir, days=args.days)
            print(f"demo history: {summary.snapshots} snapshots, {summary.changes} changes ({summary.seconds:.0f}s)")
        measure(data_dir, args.runs)


if __name__ == "__main__":
    main(sys.argv[1:])
