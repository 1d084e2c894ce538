"""The static site in a real browser (Playwright driving Debian's chromium), served from its folder by a
local static server: the finder answers a shared link with the first row of `vultr-catalog cheapest` in
the dashboard's words (and the dashboard itself, opened on the same query string, says the same); filters,
keyboard sorting, the $/hour toggle, the column picker and compare work and live in the URL; the region
page works without JavaScript; no page requests anything off its host; pages fit a 375 px phone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from app.formatting import answer_sentence
from pipeline import queries
from pipeline.queries.formatting import money
from pipeline.site.serve import site_server
from tests.conftest import CHROMIUM, DEADLINE_MS, ROOT, serving_dashboard

SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else None
pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                 reason="needs Debian's chromium: apt-get install chromium"),
              pytest.mark.xdist_group("browser")]

# A finder link -> the same question to `vultr-catalog cheapest`.
LINKS = {
    "": ["--region", "ewr"],
    "?region=fra&type=vhf": ["--region", "fra", "--type", "vhf"],
    "?region=any&continent=Europe": ["--region", "any", "--continent", "Europe"],
    "?region=any&gpu_type=NVIDIA_A16": ["--region", "any", "--gpu-type", "NVIDIA_A16"],
    "?region=sjc&min_vcpu=2&min_ram_gb=4&max_price=50": ["--region", "sjc", "--min-vcpu", "2", "--min-ram-gb", "4",
                                                          "--max-monthly-cost", "50"],
    "?region=any&cpu_vendor=amd&stock=offered": ["--region", "any", "--cpu-vendor", "amd", "--include-sold-out"],
    "?region=ams&min_ram_mb=2048&min_disk_gb=100": ["--region", "ams", "--min-ram-mb", "2048", "--min-disk-gb", "100"],
    "?region=any&min_gpu_vram_gb=40": ["--region", "any", "--min-gpu-vram-gb", "40"],
    "?region=any&type=voc&cpu_allocation=dedicated": ["--region", "any", "--type", "voc", "--cpu-allocation", "dedicated"],
    "?region=lax&cpu_allocation=shared&min_ram_gb=1.5": ["--region", "lax", "--cpu-allocation", "shared",
                                                         "--min-ram-gb", "1.5"],
}


@pytest.fixture(scope="module")
def site_url(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("site-browser") / "public"
    subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir", str(demo_dir)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    server = site_server(out, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def cheapest_json(cli, demo_dir: Path, args: list[str]) -> list[dict]:
    result = cli("cheapest", *args, "--format", "json", "--data-dir", str(demo_dir))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def dashboard_words(demo_dir: Path, region: str, plan_type: str | None = None, in_stock_only: bool = True,
                    continent: str | None = None, **filters) -> str:
    """The dashboard finder's sentence for these filters (app.formatting.answer_sentence)."""
    with queries.catalog(demo_dir) as con:
        ranked = queries.cheapest(con, queries.PlanFilter(region, plan_type, in_stock_only=in_stock_only,
                                                          continent=continent, **filters))
        cities = dict(con.execute("select region_id, city from regions").fetchall())
    anywhere = region == queries.ANY_REGION
    place = (f"any region in {continent}" if continent else "any region") if anywhere else cities[region]
    return answer_sentence(ranked, place, plan_type, in_stock_only, cities if anywhere else None)


def named(sentence: str) -> str:
    """What a sentence names, up to its plan (and region): `Cheapest vhf plan in stock in Frankfurt: vhf-1c-2gb`.
    The figures after it are the formatter's (the dashboard and the site read them from the same rows)."""
    return sentence.split(" — ")[0].split(", ")[0]


def open_finder(page, site_url: str, link: str) -> None:
    page.goto(f"{site_url}{link}")
    page.wait_for_selector("html.finder-ready", timeout=DEADLINE_MS)


def first_key(page) -> str:
    return page.locator("#ranking tbody tr").first.locator("input[type=checkbox]").get_attribute("data-key")


@pytest.mark.parametrize("link", list(LINKS))
def test_a_shared_link_answers_with_the_first_row_of_cheapest(page, site_url, demo_dir, cli, link):
    rows = cheapest_json(cli, demo_dir, LINKS[link])
    open_finder(page, site_url, link)
    assert rows, "each link has an answer in the demo catalog"
    assert first_key(page) == f"{rows[0]['plan_id']}@{rows[0]['region_id']}"
    sentence = page.locator("#answer").inner_text()
    assert sentence.startswith("Cheapest ") and f": {rows[0]['plan_id']}" in sentence


def test_the_answer_names_what_the_dashboard_names(page, site_url, demo_dir):
    cases = {"?region=fra&type=vhf": dashboard_words(demo_dir, "fra", "vhf"),
             "?region=any&continent=Europe": dashboard_words(demo_dir, "any", continent="Europe"),
             "?region=sjc&stock=offered&min_vcpu=4": dashboard_words(demo_dir, "sjc", in_stock_only=False, min_vcpu=4),
             "?region=ewr&max_price=1": dashboard_words(demo_dir, "ewr", max_monthly_cost_usd=Decimal(1))}
    for link, words in cases.items():
        open_finder(page, site_url, link)
        assert named(page.locator("#answer").inner_text()) == named(words), link


@pytest.fixture(scope="module")
def dashboard(demo_dir):
    with serving_dashboard(demo_dir) as url:
        yield f"{url}/"


def test_a_dashboard_link_opens_the_same_answer_here(page, site_url, dashboard):
    for link in ("?region=fra&type=vhf", "?region=any&continent=Europe&min_vcpu=2"):
        open_finder(page, site_url, link)
        answer = named(page.locator("#answer").inner_text())
        page.goto(f"{dashboard}{link}")
        page.get_by_text(answer).first.wait_for(timeout=DEADLINE_MS)  # the dashboard's own sentence names the same


def test_a_filter_change_redraws_the_answer_and_the_link_keeps_it(page, site_url, demo_dir):
    open_finder(page, site_url, "?region=fra&type=vhf")
    page.get_by_label("Min vCPUs", exact=True).fill("2")
    expected = named(dashboard_words(demo_dir, "fra", "vhf", min_vcpu=2))
    assert expected != named(dashboard_words(demo_dir, "fra", "vhf"))
    page.get_by_text(expected).wait_for(timeout=DEADLINE_MS)
    assert page.url.endswith("?region=fra&type=vhf&min_vcpu=2")
    page.get_by_label("Region", exact=True).select_option("any")
    page.get_by_label("Continent", exact=True).select_option("Europe")
    expected = named(dashboard_words(demo_dir, "any", "vhf", continent="Europe", min_vcpu=2))
    page.get_by_text(expected).wait_for(timeout=DEADLINE_MS)
    assert "region=any" in page.url and "continent=Europe" in page.url
    page.reload()
    page.wait_for_selector("html.finder-ready", timeout=DEADLINE_MS)
    assert named(page.locator("#answer").inner_text()) == expected
    assert page.get_by_label("Min vCPUs", exact=True).input_value() == "2"
    assert page.get_by_label("Continent", exact=True).input_value() == "Europe"


def _column(page, header: str) -> list[str]:
    headers = [h.strip().rstrip("▲▼ ") for h in page.locator("#ranking thead th").all_inner_texts()]
    index = headers.index(header) + 1
    return page.locator(f"#ranking tbody tr td:nth-child({index})").all_inner_texts()


def test_sorting_works_from_the_keyboard_and_lives_in_the_link(page, site_url):
    open_finder(page, site_url, "?region=fra")
    button = page.get_by_role("button", name="$/vCPU/month")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=price_per_vcpu", timeout=DEADLINE_MS)
    values = [Decimal(v.lstrip("$")) for v in _column(page, "$/vCPU/month")]
    assert values == sorted(values) and len(set(values)) > 1
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("$/vCPU/month")
    page.keyboard.press("Enter")  # the focus stays on the header: again for descending
    page.wait_for_url("**sort=-price_per_vcpu", timeout=DEADLINE_MS)
    values = [Decimal(v.lstrip("$")) for v in _column(page, "$/vCPU/month")]
    assert values == sorted(values, reverse=True)
    assert page.locator("#answer").inner_text().startswith("First (by $/vCPU/month ↓) plan in stock in Frankfurt: ")
    page.goto(f"{site_url}region/fra/")  # a pre-rendered table: sort.js gives its headers buttons
    page.get_by_role("button", name="$/month").first.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    prices = page.locator("table").first.locator("tbody tr td:nth-child(8)").all_inner_texts()
    assert [Decimal(p.lstrip("$").replace(",", "")) for p in prices] == sorted(
        (Decimal(p.lstrip("$").replace(",", "")) for p in prices), reverse=True)
    assert page.locator("table").first.locator("th[aria-sort=descending]").inner_text() == "$/month"


def test_hourly_prices_and_the_column_picker(page, site_url, demo_dir):
    open_finder(page, site_url, "?region=fra&stock=offered")
    with queries.catalog(demo_dir) as con:
        ranked = queries.cheapest_rows(con, queries.PlanFilter("fra", in_stock_only=False))
    rows = [dict(zip(ranked.columns, r)) for r in ranked.rows]
    assert _column(page, "$/month") == [money(r["monthly_cost_usd"]) for r in rows]
    page.get_by_label("$/hour").check()
    page.wait_for_url("**per=hour", timeout=DEADLINE_MS)
    assert _column(page, "$/hour") == [money(r["hourly_cost_usd"]) if r["hourly_cost_usd"] is not None
                                       else money(r["estimated_hourly_cost_usd"], estimate=True) for r in rows]
    assert "source" in page.locator("#ranking thead").inner_text()  # an estimate is always marked
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("type", exact=True).uncheck()
    page.get_by_label("transfer", exact=True).check()
    page.get_by_label("GPU", exact=True).check()
    page.wait_for_url("**columns=**", timeout=DEADLINE_MS)
    header = page.locator("#ranking thead").inner_text()
    assert "type" not in header.split() and "transfer" in header and "GPU" in header
    assert page.url.endswith("columns=bandwidth_tb%2Cprice_per_vcpu%2Cgpu_type")


def test_ticked_rows_are_compared_side_by_side(page, site_url):
    open_finder(page, site_url, "?region=any&each_region=1")
    boxes = page.locator("#ranking tbody input[type=checkbox]")
    keys = [boxes.nth(i).get_attribute("data-key") for i in (0, 3)]
    boxes.nth(0).check()
    boxes.nth(3).check()
    compare = page.locator("#compare-table")
    compare.wait_for(timeout=DEADLINE_MS)
    columns = compare.locator("thead th").all_inner_texts()
    assert columns == ["compare", *[k.split("@")[0] for k in keys]]
    assert compare.locator("tbody tr").first.inner_text().split("\t")[1:] == [k.split("@")[1] for k in keys]
    page.wait_for_url(f"**compare={'%2C'.join(k.replace('@', '%40') for k in keys)}", timeout=DEADLINE_MS)
    page.reload()  # the link keeps what is compared
    page.locator("#compare-table").wait_for(timeout=DEADLINE_MS)
    assert page.locator("#compare-table thead th").all_inner_texts() == columns
    page.get_by_role("button", name="Clear").click()
    assert page.locator("#compare").is_hidden() and "compare=" not in page.url


def test_region_page_works_without_javascript(browser, site_url, demo_dir, cli):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{site_url}region/fra/")
        assert named(page.locator(".answer").inner_text()) == named(dashboard_words(demo_dir, "fra"))
        rows = cheapest_json(cli, demo_dir, ["--region", "fra"])
        shown = page.locator("table").first.locator("tbody tr td:nth-child(2)").all_inner_texts()
        assert shown == [r["plan_id"] for r in rows]
        page.goto(site_url)  # the finder without JavaScript: its default answer, pre-rendered
        assert named(page.locator("#answer").inner_text()) == named(dashboard_words(demo_dir, "ewr"))
    finally:
        context.close()


def test_the_finder_says_what_the_pre_rendered_pages_say(page, site_url):
    for link, path in (("?region=fra", "region/fra/"), ("", "region/ewr/")):  # no region: ewr, as the dashboard
        open_finder(page, site_url, link)
        with_script = page.locator("#answer").inner_text()
        page.goto(f"{site_url}{path}")
        assert page.locator(".answer").inner_text() == with_script


PAGES = ["", "region/", "region/fra/", "plan/", "plan/vc2-1c-1gb/", "availability/", "changes/", "about/"]


def test_no_page_requests_anything_off_its_host(browser, site_url):
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(f"{site_url}{path}")
            page.wait_for_load_state("load")
        open_finder(page, site_url, "?region=any&per=hour")
        page.get_by_label("Min vCPUs", exact=True).fill("4")
        page.get_by_role("button", name="vCPUs", exact=True).click()
    finally:
        context.close()
    assert len(requests) >= len(PAGES)
    assert [url for url in requests if not url.startswith(site_url)] == []


@pytest.mark.parametrize("width", [375, 1440])
def test_pages_are_readable_on_a_phone_and_a_wide_screen(browser, site_url, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(f"{site_url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path  # tables scroll inside
            assert page.get_by_text("demo data").first.is_visible()
        if width == 1440:
            open_finder(page, site_url, "?region=any&continent=Europe&min_vcpu=2")
            folder = SCREENSHOTS or tmp_path
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "site-finder.png"))
            assert (folder / "site-finder.png").stat().st_size > 20_000
    finally:
        context.close()
