"""Issue 23's dashboard defects, in chromium: the headline is the grid's first row, the search matches CPU
vendor and GPU, GPU/CPU filters and the grid's columns and sort live in the URL and survive the price
toggle, nothing is clipped at 1280x800 or 1440 px, compare and plan history at a region's price, plan
history opens on a price that changed. The dashboard serves a 20-day daily history (prices move in it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import grid
from app.formatting import answer_sentence
from pipeline import queries
from tests.conftest import CHROMIUM, DEADLINE_MS, RENDERED_JS, serving_dashboard

pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="needs Debian's chromium: apt-get install chromium"),
              pytest.mark.xdist_group("browser")]
# Every text-holding box of the page (the grid and charts aside) whose content is wider than the box;
# and each grid's scroller, whose content is wider than itself when a column is cut.
CLIPPED_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const clipped = [...main.querySelectorAll('*')].filter(e => {
    if (e.closest('[data-testid="stDataFrame"], [data-testid="stVegaLiteChart"]')) return false;
    const style = getComputedStyle(e);
    const hides = ['hidden', 'clip', 'auto', 'scroll'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    return hides && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1;
  }).map(e => e.textContent.trim().slice(0, 60));
  const grids = [...main.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
    .filter(g => g.scrollWidth > g.clientWidth + 1).length;
  return {clipped, grids};
}"""
GRID_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].every(g => g.querySelector('canvas'))
    && document.querySelectorAll('[data-testid="stDataFrame"]').length > 0"""


@pytest.fixture(scope="module")
def history(priced_history) -> Path:
    return priced_history


@pytest.fixture(scope="module")
def server(history):
    with serving_dashboard(history) as url:
        yield url


def settled(page) -> None:
    page.wait_for_function(GRID_JS, timeout=DEADLINE_MS)
    page.wait_for_function(RENDERED_JS, timeout=DEADLINE_MS)


def anywhere_answer(history: Path, query: str, **filters) -> str:
    """The headline the finder must show for region=any and this search: the first row of the grid."""
    with queries.catalog(history) as con:
        ranked = queries.one_per_plan_frame(queries.cheapest(con, queries.PlanFilter("any", **filters)))
        names = dict(zip(queries.regions(con)["region_id"], queries.regions(con)["city"]))
    found = grid.search(ranked, query).reset_index(drop=True)
    return answer_sentence(found, "any region", None, True, names, query=query)


@pytest.mark.parametrize("query", ["amd", "gpu"])
def test_the_headline_is_the_grids_first_row_whatever_the_search(server, page, history, query):
    expected = anywhere_answer(history, query)
    assert expected.startswith("Cheapest plan in stock in any region matching")
    page.goto(f"{server}/?region=any&q={query}")
    page.get_by_text(expected, exact=True).wait_for(timeout=DEADLINE_MS)
    first = expected.split(": ", 1)[1].split(" in ")[0]
    with queries.catalog(history) as con:
        plan = queries.plans(con).set_index("plan_id").loc[first]
    if query == "gpu":  # every GPU plan matches `gpu`, not only those with gpu in their id
        assert isinstance(plan["gpu_type"], str)
    else:
        assert "amd" in f"{first} {plan['cpu_vendor']}".lower()


def test_gpu_and_cpu_filters_live_in_the_url(server, page, history):
    with queries.catalog(history) as con:
        gpu = queries.plans(con)["gpu_type"].dropna().sort_values().iloc[0]
    expected = anywhere_answer(history, "", gpu_type=gpu, min_gpu_vram_gb=1, cpu_vendor="AMD")
    page.goto(f"{server}/?region=any&gpu_type={gpu}&min_gpu_vram_gb=1&cpu_vendor=amd")
    page.get_by_text(expected, exact=True).wait_for(timeout=DEADLINE_MS)
    settled(page)
    assert "gpu_type=" in page.url and "min_gpu_vram_gb=1" in page.url and "cpu_vendor=AMD" in page.url
    vram = page.get_by_role("spinbutton", name="Min VRAM (GB)")
    vram.fill("0")
    vram.press("Enter")
    page.wait_for_url(lambda url: "min_gpu_vram_gb" not in url, timeout=DEADLINE_MS)
    assert "gpu_type=" in page.url


CHIPS_JS = """wanted => {
  const picker = [...document.querySelectorAll('[data-testid="stMultiSelect"]')].find(e => e.textContent.includes('Columns'));
  const tags = picker ? [...picker.querySelectorAll('.react-aria-ComboBox [data-tag]')]
    .map(t => t.getAttribute('aria-label')) : [];
  return JSON.stringify(tags) === JSON.stringify(wanted);
}"""


def wait_for_chips(page, wanted: list[str]) -> None:
    """Until the column picker's tags read exactly `wanted` (they are redrawn after each rerun)."""
    page.wait_for_function(CHIPS_JS, arg=wanted, timeout=DEADLINE_MS)


def test_columns_and_sort_survive_the_price_toggle_and_live_in_the_url(server, page):
    page.goto(f"{server}/?region=fra&columns=price_per_vcpu,price_per_gb_ram,gpu_type&sort=-vcpu_count")
    page.get_by_text("First (by vCPUs ↓)", exact=False).first.wait_for(timeout=DEADLINE_MS)
    settled(page)
    wait_for_chips(page, ["$/vCPU/month", "$/GB RAM/month", "GPU"])
    page.get_by_role("radio", name="$/hour").click()
    page.wait_for_url("**per=hour**", timeout=DEADLINE_MS)
    settled(page)
    wait_for_chips(page, ["$/vCPU/hour", "$/GB RAM/hour", "GPU"])
    page.get_by_role("radio", name="$/month").click()
    page.wait_for_url(lambda url: "per=hour" not in url, timeout=DEADLINE_MS)
    settled(page)
    wait_for_chips(page, ["$/vCPU/month", "$/GB RAM/month", "GPU"])
    assert "columns=price_per_vcpu%2Cprice_per_gb_ram%2Cgpu_type" in page.url and "sort=-vcpu_count" in page.url


@pytest.mark.parametrize("width, height", [(1280, 800), (1440, 900)])
@pytest.mark.parametrize("link", ["?region=any&per=hour", "?region=fra&stock=offered"])
def test_nothing_is_clipped(server, browser, width, height, link):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{server}/{link}")
        page.get_by_text("Cheapest plan", exact=False).nth(1).wait_for(timeout=DEADLINE_MS)
        settled(page)
        found = page.evaluate(CLIPPED_JS)
        assert found == {"clipped": [], "grids": 0}, f"clipped at {width} px: {found}"
    finally:
        context.close()


def test_plan_history_opens_on_a_price_that_changed_and_shows_a_regions_price(server, page, history):
    with queries.catalog(history) as con:
        plan_id, region_id = queries.latest_price_change(con)
        prices = queries.price_history(con, plan_id, region_id)
    assert len(prices) > 1  # it did change
    page.goto(f"{server}/plan_history")
    page.get_by_text(f"{plan_id} changed price", exact=False).wait_for(timeout=DEADLINE_MS)
    page.goto(f"{server}/plan_history?plan=vc2-1c-1gb&region=sao")
    page.get_by_text("vc2-1c-1gb has kept one price in São Paulo", exact=False).or_(
        page.get_by_text("vc2-1c-1gb changed price in São Paulo", exact=False)).wait_for(timeout=DEADLINE_MS)


def test_compare_at_a_regions_price(server, page, history):
    with queries.catalog(history) as con:
        sao = queries.plan_prices(con, region_id="sao").set_index("plan_id")["monthly_cost_usd"]
    page.goto(f"{server}/compare?plans=vc2-1c-1gb,vhf-1c-1gb&region=sao")
    page.get_by_text("Prices: in São Paulo", exact=False).wait_for(timeout=DEADLINE_MS)
    table = page.locator('[data-testid="stTable"]').inner_text()
    from pipeline.queries.formatting import money

    assert money(sao["vc2-1c-1gb"]) in table
