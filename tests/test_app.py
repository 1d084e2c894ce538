"""The dashboard through Streamlit's AppTest: every page on the demo history and on an empty data dir,
filters that change the answer, URL parameters honoured both ways, bad links explained."""
from __future__ import annotations

import ast
import functools
import itertools
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import data
from app.formatting import answer_sentence
from pipeline import queries
from pipeline.queries.formatting import span_text
from pipeline.queries.status import collector_status
from pipeline.service.demo import build_demo_history
from pipeline.service.serve import SERVER_OPTIONS
from pipeline.state import update_state

APP = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
PAGES = {
    "app_pages/finder.py": "Cheapest plan",
    "app_pages/compare.py": "Compare plans",
    "app_pages/availability.py": "Availability",
    "app_pages/plan_history.py": "Plan history",
    "app_pages/changes.py": "What changed at Vultr",
    "app_pages/regions.py": "Regions",
    "app_pages/operating_systems.py": "Operating systems",
    "app_pages/data_health.py": "Data health",
    "app_pages/sql_console.py": "SQL console",
}


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def demo_env(demo_dir, monkeypatch):
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(demo_dir))
    return demo_dir


def run_app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> list[str]:
    return [m.value.replace("\\", "") for m in at.markdown]


def answer(at: AppTest) -> str:
    return next(t[4:] for t in texts(at) if t.startswith("### "))


def ranking(at: AppTest) -> pd.DataFrame:
    """The finder's ranked grid (the display frame: floats that the column_config formats)."""
    return at.dataframe[0].value


def expected_answer(demo_dir: Path, region: str, plan_type: str | None, **filters) -> str:
    plan_filter = queries.PlanFilter(region_id=region, plan_type=plan_type, **filters)
    with queries.catalog(demo_dir) as con:
        ranked = queries.cheapest(con, plan_filter)
        city = queries.regions(con).set_index("region_id").loc[region, "city"]
    return answer_sentence(ranked, city, plan_type, plan_filter.in_stock_only)


def catalog_count(demo_dir: Path, sql: str) -> int:
    with queries.catalog(demo_dir) as con:
        return con.execute(sql).fetchone()[0]


def page_facts(demo_dir: Path, page: str) -> list[str]:
    """What each page must state about the demo catalog, counted here by SQL, independently of the page."""
    count = functools.partial(catalog_count, demo_dir)
    in_stock, offered = count("select count(*) from availability"), count("select count(*) from plan_locations")
    regions, systems = count("select count(*) from regions"), count("select count(*) from operating_systems")
    return {
        "app_pages/availability.py": [f"**{in_stock:,}** region x plan pairs in stock",
                                      f"**{offered - in_stock:,}** offered but sold out"],
        "app_pages/changes.py": [f"**{count('select count(*) from catalog_changes'):,} changes**"],
        "app_pages/regions.py": [f"**{regions}** of {regions} regions."],
        "app_pages/operating_systems.py": [f"**{systems}** of {systems} operating systems "
                                           f"({count('select count(*) from operating_systems where is_windows')} Windows)."],
        "app_pages/data_health.py": [f"Snapshots published {count('select count(*) from snapshots')}"],
    }.get(page, [])


@pytest.mark.parametrize("page, title", PAGES.items())
def test_every_page_renders_on_the_demo_history(demo_env, page, title):
    """Each page shows the demo catalog's own figures (or, for the grids, rows of it), not just a title."""
    at = run_app(page)
    assert at.title[0].value == title
    assert any("demo data" in w.value for w in at.sidebar.warning)
    assert any("Last successful snapshot" in c.value for c in at.sidebar.caption)
    assert not at.error
    shown = [*texts(at), *(f"{m.label} {m.value}" for m in at.metric)]
    for fact in page_facts(demo_env, page):
        assert any(fact in text for text in shown), (fact, shown[:5])
    tables = [len(frame.value) for frame in at.dataframe] + [len(table.value) for table in at.table]
    charts = len(at.get("vega_lite_chart"))  # st.altair_chart
    assert any(tables) or charts, f"{page} shows no rows and no chart"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_data_dir_says_which_command_to_run(tmp_path, monkeypatch, page):
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path / "nothing-here"))
    at = run_app(page)
    assert at.title[0].value == "No catalog yet"
    assert "vultr-catalog collect" in at.info[0].value and "make demo" in at.info[0].value


def magic_expressions(path: Path) -> list[int]:
    """Lines of the expression statements Streamlit's magic would st.write: any but a call, a docstring,
    yield or await (streamlit/runtime/scriptrunner/magic.py), at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0]) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    silent = (ast.Call, ast.Yield, ast.YieldFrom, ast.Await)
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and id(node) not in docstrings and not isinstance(node.value, silent)]


def test_no_page_relies_on_streamlit_magic():
    """serve turns magic off (it cost every lone visitor a rewrite of the page scripts): a bare expression
    in the entry point or a page would show in AppTest (magic on by default) but not in the dashboard."""
    assert ("--runner.magicEnabled", "false") in itertools.pairwise(SERVER_OPTIONS)
    scripts = [APP, *sorted((APP.parent / "app_pages").glob("*.py"))]
    assert len(scripts) == len(PAGES) + 2  # the entry point, the pages and the fleet page
    assert {str(path.relative_to(APP.parent)): magic_expressions(path) for path in scripts} == \
        {str(path.relative_to(APP.parent)): [] for path in scripts}


def test_the_magic_scan_finds_bare_expressions(tmp_path):
    script = tmp_path / "page.py"
    script.write_text('"""doc"""\nimport streamlit as st\nx = 1\nx\nst.write(x)\n\n\ndef f():\n    """doc"""\n'
                      '    "shown"\n    for i in range(2):\n        i, x\n', encoding="utf-8")
    assert magic_expressions(script) == [4, 10, 12]


def test_shared_link_shows_the_cli_answer(demo_env):
    at = run_app(region="fra", type="vhf")
    assert answer(at) == expected_answer(demo_env, "fra", "vhf")
    assert answer(at).startswith("Cheapest vhf plan in stock in Frankfurt: vhf-")
    table = ranking(at)
    with queries.catalog(demo_env) as con:
        ranked = queries.cheapest(con, queries.PlanFilter("fra", "vhf"))
    assert table["plan_id"].tolist() == ranked["plan_id"].tolist()
    assert {"price", "price_per_vcpu", "ram_gb", "plan_type"} <= set(table.columns)  # the default columns
    assert table["price"].iloc[0] == float(ranked["monthly_cost_usd"].iloc[0])
    assert table["ram_gb"].iloc[0] == ranked["ram_mb"].iloc[0] / 1024


def test_all_url_parameters_are_read_on_load(demo_env):
    at = run_app(region="fra", type="vc2", min_vcpu="2", min_ram_gb="4", min_disk_gb="50", max_price="100",
                 stock="offered")
    assert answer(at) == expected_answer(demo_env, "fra", "vc2", min_vcpu=2, min_ram_mb=4096, min_disk_gb=50,
                                         max_monthly_cost_usd=100, in_stock_only=False)
    assert at.number_input(key="finder.min_ram_gb").value == 4
    assert at.radio(key="finder.stock").value == "offered"
    table = ranking(at)
    assert len(table) > 0 and (table["vcpu_count"] >= 2).all() and (table["ram_gb"] >= 4).all()
    assert run_app(region="fra", min_ram_mb="4096").number_input(key="finder.min_ram_gb").value == 4  # old links


def test_changing_a_filter_changes_the_answer_and_the_url(demo_env):
    at = run_app(region="fra", type="vhf")
    before = answer(at)
    at.number_input(key="finder.min_vcpu").set_value(4).run()
    after = answer(at)
    assert after != before
    assert after == expected_answer(demo_env, "fra", "vhf", min_vcpu=4)
    assert at.query_params["min_vcpu"] == "4" and at.query_params["region"] == "fra"
    at.selectbox(key="finder.region").select("ams").run()
    assert answer(at) == expected_answer(demo_env, "ams", "vhf", min_vcpu=4) and at.query_params["region"] == "ams"


def test_offered_includes_sold_out_plans(demo_env):
    at = run_app(region="fra", type="vhf")
    in_stock = ranking(at)
    at.radio(key="finder.stock").set_value("offered").run()
    offered = ranking(at)
    assert len(offered) >= len(in_stock)
    assert "offered in Frankfurt" in answer(at) and at.query_params["stock"] == "offered"


def test_impossible_filters_say_so(demo_env):
    at = run_app(region="fra", type="vhf", max_price="0.5")
    assert answer(at) == "No vhf plan in stock in Frankfurt matches these filters."
    assert ranking(at).empty


def test_unknown_region_in_the_link_lists_the_regions(demo_env):
    at = run_app(region="atlantis", type="vhf")
    assert "Unknown region 'atlantis'" in at.error[0].value
    assert "fra" in at.error[0].value and "ams" in at.error[0].value
    at.selectbox(key="finder.region").select("fra").run()
    assert not at.error and "in Frankfurt:" in answer(at)


def test_bad_link_values_are_explained_not_dropped(demo_env):
    at = run_app(region="FRA", type="VHFF", max_price="abc", min_vcpu="nan")
    errors = " ".join(e.value for e in at.error)
    assert "Unknown plan type 'VHFF' in the link; plan types: any, " in errors and "vhf" in errors
    assert "Ignored max_price='abc'" in errors and "Ignored min_vcpu='nan'" in errors
    assert "in Frankfurt:" in answer(at)  # FRA is fra
    assert run_app(region="fra", type="VHF").selectbox(key="finder.type").value == "vhf"


def test_plan_search_and_hourly_toggle(demo_env):
    at = run_app(region="fra", q="4gb")
    table = ranking(at)
    assert len(table) > 0 and table["plan_id"].str.contains("4gb").all()
    at = run_app(region="fra", per="hour")
    table = ranking(at)
    with queries.catalog(demo_env) as con:
        ranked = queries.cheapest(con, queries.PlanFilter("fra"))
    api = ranked["hourly_cost_usd"].notna().tolist()
    assert table["hourly_source"].tolist() == ["API" if a else "≈ estimate" for a in api]
    assert not table["price"].isna().any() and table["price"].max() < 10  # dollars per hour
    assert at.query_params["per"] == "hour"


def test_availability_type_filter_from_the_url_and_on_change(demo_env):
    at = run_app("app_pages/availability.py", type="VHF")
    assert at.selectbox(key="availability.type").value == "vhf"
    assert not at.dataframe  # the matrix is drawn once (the chart); the table only on demand
    at.toggle(key="availability.table").set_value(True).run()
    matrix = at.dataframe[0].value
    assert set(matrix["plan_type"]) == {"vhf"} and set(matrix["status"]) <= set(queries.STOCK_STATUSES)
    offered = matrix[matrix["status"] != "not_offered"]
    assert set(matrix["plan_id"]) == set(offered["plan_id"]) and set(matrix["region_id"]) == set(offered["region_id"])
    summary = texts(at)[0]
    at.selectbox(key="availability.type").select("vc2").run()
    assert texts(at)[0] != summary and at.query_params["type"] == "vc2"


def test_plan_history_follows_the_plan_parameter(demo_env):
    at = run_app("app_pages/plan_history.py", plan="vc2-1c-1gb")
    assert at.selectbox(key="history.plan").value == "vc2-1c-1gb"
    assert any(t.startswith("vc2-1c-1gb ") for t in texts(at))
    stock = at.dataframe[1].value
    assert set(stock["plan_id"]) <= {"vc2-1c-1gb"}
    at.selectbox(key="history.plan").select("vhf-1c-2gb").run()
    assert any(t.startswith("vhf-1c-2gb ") for t in texts(at)) and at.query_params["plan"] == "vhf-1c-2gb"


def test_plan_history_unknown_plan_is_explained(demo_env):
    at = run_app("app_pages/plan_history.py", plan="no-such-plan")
    assert "Unknown plan 'no-such-plan'" in at.main.warning[0].value


def test_change_feed_filters(demo_env):
    at = run_app("app_pages/changes.py")
    everything = at.dataframe[0].value
    assert len(everything) > 0 and everything["change"].str.len().gt(0).all()
    region = everything["region_id"].dropna().iloc[0]
    at = run_app("app_pages/changes.py", region=region, entity="availability")
    feed = at.dataframe[0].value
    assert 0 < len(feed) < len(everything) and set(feed["region_id"]) == {region}
    ratios = at.dataframe[1].value
    assert ratios["region_id"].tolist() == [region] and 0 <= ratios["in_stock_ratio_30d"].iloc[0] <= 1
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    at = run_app("app_pages/changes.py", since=tomorrow)
    assert at.dataframe[0].value.empty and "No changes" in texts(at)[0]


def test_regions_and_operating_systems_filter(demo_env):
    at = run_app("app_pages/regions.py")
    total = len(at.dataframe[0].value)
    at.multiselect(key="regions.continent").select("Europe").run()
    europe = at.dataframe[0].value
    assert 0 < len(europe) < total and set(europe["continent"]) == {"Europe"}
    assert at.query_params["continent"] == "Europe"
    at = run_app("app_pages/regions.py", q="frank")
    assert at.dataframe[0].value["region_id"].tolist() == ["fra"]
    at = run_app("app_pages/operating_systems.py", family="windows")
    systems = at.dataframe[0].value
    assert len(systems) > 0 and systems["is_windows"].all()


def test_data_health_lists_snapshots(demo_env):
    at = run_app("app_pages/data_health.py")
    snapshots = at.dataframe[0].value
    assert len(snapshots) == 49 and set(snapshots["status"]) == {"ok"}
    assert at.metric[0].value == f"#{snapshots['snapshot_id'].max()}"
    at.number_input(key="health.limit").set_value(5).run()
    assert len(at.dataframe[0].value) == 5


def test_data_health_names_the_demo_emulator_not_its_throwaway_url(demo_env):
    """The demo's emulator listened on a port that is gone: the table says what it was (issue 23, 11)."""
    with queries.catalog(demo_env) as con:
        stored = {url for (url,) in con.execute("select distinct base_url from snapshots").fetchall()}
    assert all(url.startswith("http://127.0.0.1:") for url in stored)  # what the page must not show
    shown = run_app("app_pages/data_health.py").dataframe[0].value["base_url"]
    assert set(shown) == {"bundled emulator (demo)"}


def test_data_health_names_schema_drift(demo_env):
    """The demo's API starts sending a field the model does not know half-way: named, not fatal."""
    at = run_app("app_pages/data_health.py")
    drift = next(w.value for w in at.main.warning if "does not know" in w.value)
    assert "`plan.network_speed_gbps` (since snapshot #" in drift
    # plan and plan_metal; fields the catalog sends from the start (region connectivity ...) may be listed too
    assert at.dataframe[1].value["field"].tolist().count("network_speed_gbps") == 2


def test_hourly_price_without_the_api_value_is_labelled_an_estimate(tmp_path, monkeypatch):
    """v1 gives no hourly price: the finder shows monthly / 672 h, marked as an estimate."""
    from pipeline.collect.collector import collect
    from pipeline.fakeapi import FakeVultr
    from tests.conftest import fast_settings

    with FakeVultr(rate_limit=False).start() as api:
        collect(fast_settings(api, tmp_path, version="v1", requests_per_second=500))
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path))
    at = run_app("app_pages/finder.py", region="fra", stock="offered", per="hour")
    table = ranking(at)
    assert len(table) and (table["hourly_source"] == "≈ estimate").all() and table["price"].notna().all()


def test_sql_console_runs_and_refuses(demo_env):
    at = run_app("app_pages/sql_console.py")
    at.text_area(key="sql.query").input("select plan_id from plans where plan_type = 'vhf' order by plan_id")
    at.button(key="sql.run").click().run()
    result = at.dataframe[0].value
    assert len(result) > 0 and result["plan_id"].str.startswith("vhf").all()
    at.text_area(key="sql.query").input("select * from read_text('/etc/passwd')")
    at.button(key="sql.run").click().run()
    assert "reading or writing files is disabled" in at.error[0].value
    at.text_area(key="sql.query").input("drop view plans").run()
    at.button(key="sql.run").click().run()
    assert "DROP statements are refused" in at.error[0].value


def test_sql_link_with_a_query_runs_it_on_open(demo_env):
    at = run_app("app_pages/sql_console.py", q="select count(*) as n from regions")
    assert at.dataframe[0].value["n"].tolist() == [31]  # 33 regions, two launched later in the timeline


def test_stale_catalog_is_flagged(tmp_path, monkeypatch):
    old = datetime.now(UTC) - timedelta(days=2)
    build_demo_history(tmp_path, days=0, end_at=old)
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path))
    at = run_app("app_pages/data_health.py")
    assert any(w.value.startswith("Stale:") for w in at.sidebar.warning)
    assert "stale" in at.main.warning[0].value


@pytest.mark.parametrize("interval_s, stale, threshold", [
    (None, True, "3h by default"),                   # no schedule recorded: the default
    (3 * 86400, False, "6d: twice the schedule's"),  # a 3-day schedule: a 2-day-old catalog is fresh
    (600, True, "20m: twice the schedule's"),
])
def test_status_and_the_dashboard_agree_on_freshness(tmp_path, monkeypatch, interval_s, stale, threshold):
    build_demo_history(tmp_path, days=0, end_at=datetime.now(UTC) - timedelta(days=2))
    if interval_s:
        update_state(tmp_path, interval_s=interval_s)
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path))
    status = collector_status(tmp_path)
    at = run_app("app_pages/data_health.py")
    assert status["is_stale"] is stale and data.freshness()["is_stale"] is stale
    assert status["stale_after_s"] == data.freshness()["stale_after_s"]
    assert any(w.value.startswith("Stale:") for w in at.sidebar.warning) is stale
    health = (at.main.warning if stale else at.main.success)[0].value
    assert f"threshold {threshold}" in health or f"stale after {threshold}" in health


def test_reads_never_fail_while_a_publish_swaps_the_catalog(demo_dir, tmp_path, monkeypatch):
    """Swap two catalog files over catalog.duckdb as fast as publish would, while reading through the app."""
    for name in ("a.duckdb", "b.duckdb"):
        shutil.copy(demo_dir / "catalog.duckdb", tmp_path / name)
    target = tmp_path / "catalog.duckdb"
    shutil.copy(demo_dir / "catalog.duckdb", target)
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path))
    stop, swaps = threading.Event(), [0]

    def publisher():
        while not stop.is_set():
            for name in ("a.duckdb", "b.duckdb"):
                shutil.copy(tmp_path / name, tmp_path / f".{name}.tmp")
                (tmp_path / f".{name}.tmp").replace(target)
                swaps[0] += 1

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        deadline = time.monotonic() + 120  # a failure bound only: the loop ends on counts, not on time
        reads = 0
        while reads < 20 or swaps[0] < 5:
            assert time.monotonic() < deadline, f"{reads} reads and {swaps[0]} swaps in 120 s"
            st.cache_data.clear()
            assert not data.cheapest(queries.PlanFilter("fra", "vhf")).empty
            reads += 1
    finally:
        stop.set()
        thread.join()
    assert reads > 5 and swaps[0] >= 5


@pytest.fixture
def opened(monkeypatch) -> list:
    """Every connection the app opens on the catalog (the real open_catalog, counted)."""
    connections = []

    def counted(directory=None):
        connections.append(real(directory))
        return connections[-1]

    real = queries.core.open_catalog
    monkeypatch.setattr(queries.core, "open_catalog", counted)
    monkeypatch.setattr(queries, "open_catalog", counted)
    return connections


def test_a_first_visit_opens_the_catalog_once(demo_env, opened):
    """A cold shared link misses four reads before its answer (freshness, regions, plans, cheapest):
    one connection for the run, closed when the run ends."""
    answers = [expected_answer(demo_env, "fra", "vhf", min_vcpu=n) for n in (0, 2)]
    opened.clear()
    at = run_app(region="fra", type="vhf")
    assert answer(at) == answers[0] and len(opened) == 1
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("select 1")
    at.number_input(key="finder.min_vcpu").set_value(2).run()  # a filter change: a fragment rerun, one read
    assert answer(at) == answers[1] and len(opened) == 2


def test_one_run_sees_a_catalog_published_during_it(demo_dir, tmp_path, monkeypatch, opened):
    """Shared connections are per catalog version: a read after a publish attaches the new file."""
    shutil.copy(demo_dir / "catalog.duckdb", tmp_path / "catalog.duckdb")
    build_demo_history(tmp_path / "newer", days=0)
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(tmp_path))
    with data.one_connection():
        before = data.snapshots()
        assert len(data.regions()) and len(opened) == 1  # the second miss shared the connection
        shutil.copy(tmp_path / "newer" / "catalog.duckdb", tmp_path / ".catalog.duckdb.tmp")
        (tmp_path / ".catalog.duckdb.tmp").replace(tmp_path / "catalog.duckdb")
        after = data.snapshots()
        assert len(opened) == 2
    assert len(after) and not after.equals(before)
    for con in opened:
        with pytest.raises(duckdb.ConnectionException):
            con.execute("select 1")


def test_price_chart_steps_at_the_change_instant():
    from app.charts import price_points

    t0, t1 = pd.Timestamp("2026-11-01", tz="UTC"), pd.Timestamp("2026-11-14", tz="UTC")
    history = pd.DataFrame({"valid_from": [t0, t1], "valid_to": [t1, pd.NaT],
                            "monthly_cost_usd": [Decimal("5.00"), Decimal("5.50")]})
    points = price_points(history, now=pd.Timestamp("2026-11-30", tz="UTC"))
    assert list(zip(points["at"], points["monthly_cost_usd"])) == [
        (t0, 5.0), (t1, 5.0), (t1, 5.5), (pd.Timestamp("2026-11-30", tz="UTC"), 5.5)]  # old ends, then new starts


def test_map_labels_never_overlap(demo_env):
    from app.charts import DOT_R, LABEL_H, LABEL_W_PER_CHAR, place_labels, region_points, to_pixels

    points = region_points(data.regions(), data.region_coordinates(), data.availability_matrix())
    placed = place_labels(points)
    boxes = []
    for label, lon, lat in zip(placed["region_id"], placed["label_longitude"], placed["label_latitude"]):
        x, y = to_pixels(lon, lat)
        half = LABEL_W_PER_CHAR * len(label) / 2
        boxes.append((x - half, y - LABEL_H / 2, x + half, y + LABEL_H / 2))
    dots = [to_pixels(lon, lat) for lon, lat in zip(placed["longitude"], placed["latitude"])]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] - 1e-6 and b[0] < a[2] - 1e-6 and a[1] < b[3] - 1e-6 and b[1] < a[3] - 1e-6)
        for x, y in dots:
            assert not (a[0] < x + DOT_R - 1e-6 and x - DOT_R < a[2] - 1e-6 and a[1] < y + DOT_R - 1e-6
                        and y - DOT_R < a[3] - 1e-6)


def test_change_feed_counts_the_total_not_the_cap(demo_env):
    at = run_app("app_pages/changes.py")
    with queries.catalog(demo_env) as con:
        total = queries.change_count(con)
    assert texts(at)[0].startswith(f"**{total:,} change")
    assert len(at.dataframe[0].value) == min(total, 1000)


def test_compare_shows_plans_side_by_side_against_the_first(demo_env):
    at = run_app("app_pages/compare.py", plans="VC2-1C-1GB,vc2-2c-4gb,atlantis")
    assert "Unknown plan 'atlantis'" in at.error[0].value
    table = at.table[0].value
    assert list(table.columns) == ["vc2-1c-1gb", "vc2-2c-4gb"]
    assert table.loc["RAM", "vc2-1c-1gb"] == "1 GB" and table.loc["RAM", "vc2-2c-4gb"] == "4 GB (+300%)"
    assert table.loc["$/month", "vc2-2c-4gb"].startswith("$") and "%)" in table.loc["$/month", "vc2-2c-4gb"]
    assert at.query_params["plans"] == "vc2-1c-1gb,vc2-2c-4gb"


def test_formatter_is_one_and_consistent():
    from pipeline.queries.formatting import bandwidth_text, money, per_unit, plural, ram_text

    assert [money(Decimal("5.000000")), money(Decimal("0.007000")), money(None)] == ["$5.00", "$0.007", "—"]
    assert money(Decimal("0.0089"), estimate=True) == "≈$0.0089"
    assert [per_unit(Decimal("13.3333")), per_unit(Decimal("0.6250"))] == ["$13.33", "$0.625"]
    assert [ram_text(512), ram_text(4096), bandwidth_text(10240), bandwidth_text(None)] == ["0.5 GB", "4 GB", "10 TB", "—"]
    assert [plural(1, "change"), plural(1009, "change"), plural(2, "match", "matches")] == \
        ["1 change", "1,009 changes", "2 matches"]


def test_any_region_shows_each_plan_in_its_cheapest_region(demo_env):
    at = run_app(region="ANY", type="vhf", continent="europe", columns="region_count")
    with queries.catalog(demo_env) as con:
        pairs = queries.cheapest(con, queries.PlanFilter("any", "vhf", continent="Europe"))
        city = queries.regions(con).set_index("region_id")["city"].to_dict()
    best = pairs.drop_duplicates("plan_id")
    top = best.iloc[0]
    assert answer(at).startswith(f"Cheapest vhf plan in stock in any region in Europe: {top['plan_id']} in "
                                 f"{city[top['region_id']]} ({top['region_id']})")
    table = ranking(at)
    assert table["plan_id"].tolist() == best["plan_id"].tolist()
    assert table["region_id"].tolist() == best["region_id"].tolist()
    assert (table["region_count"] >= 1).all() and table["plan_id"].is_unique
    assert at.query_params["region"] == "any" and at.query_params["continent"] == "Europe"
    assert at.query_params["columns"] == "region_count"


def test_catalog_pages_explain_unknown_link_values(demo_env):
    at = run_app("app_pages/regions.py", continent="europe,atlantis")
    assert at.multiselect(key="regions.continent").value == ["Europe"]
    assert "Unknown continent 'atlantis'" in at.error[0].value and "Europe" in at.error[0].value
    at = run_app("app_pages/operating_systems.py", family="WINDOWS,beos")
    assert at.multiselect(key="os.family").value == ["windows"] and "Unknown family 'beos'" in at.error[0].value


def test_plan_history_shows_the_stock_outlook(demo_env):
    with queries.catalog(demo_env) as con:
        plan_id, region_id, p90_s = con.execute(
            "select plan_id, region_id, p90_sell_out_s from stock_outlook where has_enough_sell_outs"
            " order by plan_id, region_id limit 1").fetchone()
    at = run_app("app_pages/plan_history.py", plan=plan_id)
    table = next(t for t in texts(at) if "sell-outs" in t and "p90" in t)
    row = next(line for line in table.splitlines() if line.startswith(f"| {region_id} "))
    assert span_text(p90_s) in row


def test_the_availability_heat_map_labels_every_plan_in_full(demo_env):
    """One row per plan (a step of ROW_PX px, so the chart grows with the plans), no label dropped for
    overlap, none truncated (issue 23: every other plan was labelled, and cut)."""
    from app import charts

    with queries.catalog(demo_env) as con:
        matrix = queries.availability_matrix(con)
    spec = charts.availability_chart(matrix).to_dict()
    for axis in ("x", "y"):
        assert spec["encoding"][axis]["axis"]["labelOverlap"] is False
        assert spec["encoding"][axis]["axis"]["labelLimit"] == 0
    assert spec["encoding"]["y"]["field"] == "plan_id" and spec["height"] == {"step": charts.ROW_PX}
