"""The dashboard in a real browser: `vultr-catalog serve` on the demo history, driven by Playwright with
Debian's chromium. Opens a shared link, sees the CLI's cheapest plan, changes a filter, sees the new answer;
saves a screenshot of every page to docs/screenshots/ (shown in the README)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.formatting import answer_sentence
from pipeline import queries

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 make test), so an
# ordinary test run leaves the working tree clean; otherwise they are taken into a temp folder.
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else None
DEADLINE_MS = 30_000
# url path -> (screenshot name, text that shows the page has its data)
PAGES = {
    "?region=fra&type=vhf": ("finder", "Cheapest vhf plan in stock in Frankfurt"),
    "compare?plans=vc2-1c-1gb,vhf-1c-1gb,vc2-2c-4gb": ("compare", "each against"),
    "availability?type=vhf": ("availability", "region x plan pairs in stock"),
    "plan_history?plan=vc2-1c-1gb": ("plan-history", "In stock now in"),
    "changes": ("changes", "In stock per region"),
    "regions": ("regions", "regions."),
    "operating_systems": ("operating-systems", "operating systems ("),
    "data_health": ("data-health", "Recent snapshots"),
    "sql_console?q=select+plan_type,+count(*)+as+plans,+min(monthly_cost_usd)+as+cheapest_usd+from+plans+group+by+all":
        ("sql", "rows in"),
}
# Wait until Streamlit has finished the run: no status widget, no skeletons, every chart drawn.
RENDERED_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'))"""

# Outside CI a machine without Debian's chromium skips these (with the reason); in CI (.ci/run sets
# CI=1 and installs chromium) a missing browser is a failure, never a silent skip.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium: apt-get install chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "vultr-catalog serve exited early"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no dashboard at {url} after {timeout_s}s")


@pytest.fixture(scope="module")
def server(demo_dir):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port),
                                "--data-dir", str(demo_dir)], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # serve and the streamlit process it started
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def expected(demo_dir: Path, region: str, plan_type: str, **filters) -> str:
    with queries.catalog(demo_dir) as con:
        ranked = queries.cheapest(con, queries.PlanFilter(region, plan_type, **filters))
        city = queries.regions(con).set_index("region_id").loc[region, "city"]
    return answer_sentence(ranked, city, plan_type, in_stock_only=True)


def test_shared_link_shows_the_answer_and_a_filter_change_updates_it(server, page, demo_dir):
    page.goto(f"{server}/?region=fra&type=vhf")
    first = expected(demo_dir, "fra", "vhf")
    page.get_by_text(first, exact=True).wait_for(timeout=DEADLINE_MS)

    min_vcpu = page.get_by_label("Min vCPUs")
    min_vcpu.fill("2")
    min_vcpu.press("Enter")
    second = expected(demo_dir, "fra", "vhf", min_vcpu=2)
    assert second != first
    page.get_by_text(second, exact=True).wait_for(timeout=DEADLINE_MS)
    page.wait_for_url("**min_vcpu=2**", timeout=DEADLINE_MS)
    assert "region=fra" in page.url and "type=vhf" in page.url


def test_unknown_region_link_lists_regions(server, page):
    page.goto(f"{server}/?region=atlantis")
    page.get_by_text("Unknown region 'atlantis' in the link").wait_for(timeout=DEADLINE_MS)
    assert "fra" in page.get_by_text("Unknown region 'atlantis'").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_the_browser_and_is_screenshotted(server, page, path, tmp_path):
    name, text = PAGES[path]
    external: list[str] = []  # no page may fetch anything from outside (fonts, icons, map data)
    page.on("request", lambda r: external.append(r.url)
            if r.url.startswith(("http:", "https:", "ws:", "wss:")) and not r.url.startswith(
                (server, server.replace("http", "ws"))) else None)
    page.goto(f"{server}/{path}")
    page.get_by_text(text).first.wait_for(timeout=DEADLINE_MS)
    page.wait_for_function(RENDERED_JS, timeout=DEADLINE_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("demo data").first.is_visible()
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 4000)})
    page.wait_for_function(RENDERED_JS, timeout=DEADLINE_MS)
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 20_000
    assert external == []
