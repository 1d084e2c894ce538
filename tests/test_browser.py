"""The dashboard in a real browser: `vultr-catalog serve` on the demo history, driven by Playwright with
Debian's chromium. Opens a shared link, sees the CLI's cheapest plan, changes a filter, sees the new answer;
saves a screenshot of every page to docs/screenshots/ (shown in the README)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.formatting import answer_sentence
from pipeline import queries
from tests.conftest import (
    CHROMIUM,
    DEADLINE_MS,
    PAGES,
    RENDERED_JS,
    ROOT,
    render_page,
    serving_dashboard,
)

# The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 make test), so an
# ordinary test run leaves the working tree clean; otherwise they are taken into a temp folder.
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else None

# Outside CI a machine without Debian's chromium skips these (with the reason); in CI (.ci/run sets
# CI=1 and installs chromium) a missing browser is a failure, never a silent skip.
# One xdist group: one worker starts the dashboard and chromium (module-scoped) for all of them.
pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="needs Debian's chromium: apt-get install chromium"),
              pytest.mark.xdist_group("browser")]

@pytest.fixture(scope="module")
def server(demo_dir):
    with serving_dashboard(demo_dir) as url:
        yield url


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


def test_ranking_csv_is_made_on_click_with_the_exact_rows(server, page, demo_dir):
    """The finder's CSV is generated when the button is clicked (deferred), and holds the ranked rows."""
    page.goto(f"{server}/?region=fra&type=vhf&stock=offered")
    page.get_by_text("Cheapest vhf plan offered in").wait_for(timeout=DEADLINE_MS)
    with queries.catalog(demo_dir) as con:
        ranked = queries.cheapest(con, queries.PlanFilter("fra", "vhf", in_stock_only=False))
    with page.expect_download(timeout=DEADLINE_MS) as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "cheapest-fra.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:2] == list(ranked.columns[:2])
    assert "estimated_hourly_cost_usd" in lines[0].split(",")
    assert [line.split(",")[0] for line in lines[1:]] == ranked[ranked.columns[0]].astype(str).tolist()


def test_unknown_region_link_lists_regions(server, page):
    page.goto(f"{server}/?region=atlantis")
    page.get_by_text("Unknown region 'atlantis' in the link").wait_for(timeout=DEADLINE_MS)
    assert "fra" in page.get_by_text("Unknown region 'atlantis'").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_the_browser_and_is_screenshotted(server, page, path, tmp_path):
    name, _ = PAGES[path]
    external: list[str] = []  # no page may fetch anything from outside (fonts, icons, map data)
    page.on("request", lambda r: external.append(r.url)
            if r.url.startswith(("http:", "https:", "ws:", "wss:")) and not r.url.startswith(
                (server, server.replace("http", "ws"))) else None)
    render_page(page, server, path)
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
