"""How fast the static site answers, beside the Streamlit dashboard, on one demo history, in one run.

Measures, in Playwright with Debian's chromium:
- a shared finder link (/?region=fra&type=vhf) -> its answer sentence visible, in a fresh browser context,
  from a local static server (`python -m http.server` in its own process), and the dashboard's time for
  the same query string in the same run, interleaved run by run (as benchmarks/bench_dashboard.py times it:
  a fresh context, goto, wait for the sentence), with the ratio of the medians;
- a filter change (Min vCPUs 2) -> the new answer, on a settled page: as Playwright sees it (fill, wait for
  the text: includes its round trips), and inside the page (the input event dispatched -> the next frame);
- what the finder page transfers, gzip-compressed (as any static host or CDN serves it), data included:
  every response the page loads;
- `vultr-catalog site` on the demo history: the build in-process (imports warm) and the command end to end;
- the floor: a one-line static page from the same kind of server, timed the same way (what chromium, Playwright
  and this machine cost before any of the site's bytes).
Prints medians; asserts nothing.

    .venv/bin/python -m benchmarks.bench_site [--days 7] [--runs 7] [--data-dir DIR]
"""
from __future__ import annotations

import gzip
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_dashboard import CHROMIUM_ARGS, expected, free_port, start_dashboard  # noqa: E402
from benchmarks.common import demo_parser, on_demo_history  # noqa: E402
from pipeline.site import build_site  # noqa: E402

DEADLINE_MS = 30_000
LINK = "?region=fra&type=vhf"
# The input event dispatched -> the finder redrawn -> the next frame painted (ms, measured in the page).
IN_PAGE_CHANGE_JS = """value => new Promise(done => {
    const box = document.querySelector('#f-min_vcpu');
    const started = performance.now();
    box.value = value;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    requestAnimationFrame(() => setTimeout(() => done(performance.now() - started), 0));
})"""


def start_static(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                                str(folder)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the static server did not start")


def link_to_answer(browser, url: str, answer: str, link: str = LINK) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(f"{url}{link}")
        page.get_by_text(answer).first.wait_for(timeout=DEADLINE_MS)
        return time.perf_counter() - started
    finally:
        context.close()


def filter_change(browser, url: str, answers: tuple[str, str]) -> tuple[float, float, int]:
    """(seconds as Playwright sees it, ms inside the page, compressed bytes the page loaded)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    sizes: list[int] = []
    context.on("response", lambda r: sizes.append(len(gzip.compress(r.body(), 6))) if r.ok else None)
    try:
        page = context.new_page()
        page.goto(f"{url}{LINK}")
        page.get_by_text(answers[0]).first.wait_for(timeout=DEADLINE_MS)
        page.wait_for_load_state("networkidle")
        box = page.get_by_label("Min vCPUs", exact=True)
        started = time.perf_counter()
        box.fill("2")
        page.get_by_text(answers[1]).first.wait_for(timeout=DEADLINE_MS)
        seen_s = time.perf_counter() - started
        in_page_ms = page.evaluate(IN_PAGE_CHANGE_JS, "4")
        page.evaluate(IN_PAGE_CHANGE_JS, "")  # back, so each run measures the same change
        return seen_s, in_page_ms, sum(sizes)
    finally:
        context.close()


def median_ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms (max {max(values) * 1000:.0f} ms)"


def measure(data_dir: Path, runs: int, workdir: Path) -> None:
    site = workdir / "public"
    builds = []
    for _ in range(runs):
        started = time.perf_counter()
        build_site(site, data_dir)
        builds.append(time.perf_counter() - started)
    commands = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(site), "--data-dir", str(data_dir)],
                       check=True, capture_output=True, cwd=ROOT)
        commands.append(time.perf_counter() - started)
    print(f"site build on this demo history: in-process {median_ms(builds)}; `vultr-catalog site` end to end "
          f"{median_ms(commands)}")
    index = (site / "index.html").read_bytes()
    print(f"finder page: index.html {len(index) / 1024:.0f} KB, gzip {len(gzip.compress(index, 6)) / 1024:.0f} KB "
          f"(catalog embedded; no other file needed)")
    # what the dashboard's sentence names (its figures' wording is the formatter's): the same text in both
    answers = tuple(sentence.split(" — ")[0].split(", ")[0] for sentence in (expected(data_dir, 0), expected(data_dir, 2)))
    servers: list[subprocess.Popen] = []
    try:
        process, site_url = start_static(site)
        servers.append(process)
        process, dashboard_url = start_dashboard(data_dir)
        servers.append(process)
        (workdir / "floor").mkdir()
        (workdir / "floor" / "index.html").write_text("<!doctype html><title>floor</title><p>Floor answer.</p>")
        process, floor_url = start_static(workdir / "floor")
        servers.append(process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            link_to_answer(browser, dashboard_url.rstrip("/") + "/", answers[0])  # the first visit after start
            site_s, dashboard_s, floor_s, seen, in_page, sizes = [], [], [], [], [], []
            for _ in range(runs):  # interleaved: load swings hit all alike
                floor_s.append(link_to_answer(browser, floor_url, "Floor answer.", link=""))
                site_s.append(link_to_answer(browser, site_url, answers[0]))
                dashboard_s.append(link_to_answer(browser, dashboard_url.rstrip("/") + "/", answers[0]))
                change = filter_change(browser, site_url, answers)
                seen.append(change[0])
                in_page.append(change[1] / 1000)
                sizes.append(change[2])
            browser.close()
    finally:
        for process in servers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
    ratio = statistics.median(site_s) / statistics.median(dashboard_s)
    print(f"shared link {LINK} -> answer, fresh browser context ({runs} runs, interleaved): static site "
          f"{median_ms(site_s)}; dashboard {median_ms(dashboard_s)}; site/dashboard {ratio:.2f}; floor (a one-line "
          f"static page, same server and browser) {median_ms(floor_s)}")
    print(f"filter change (Min vCPUs) -> new answer on the static site: in the page {median_ms(in_page)}; "
          f"as Playwright sees it {median_ms(seen)}")
    print(f"finder page transfer, gzip, data included: {statistics.median(sizes) / 1024:.0f} KB")


def main(argv: list[str] | None = None) -> None:
    """Run with defaults when called without argv (as `make bench` does); the script passes its own."""
    parser = demo_parser(__doc__, "reuse an existing data dir")
    args = parser.parse_args(argv if argv is not None else [])
    on_demo_history(args, lambda data_dir, tmp: measure(data_dir, args.runs, tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
