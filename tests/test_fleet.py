"""`vultr-catalog fleet` and queries.fleet_costs over real loopback HTTP: v2 and v1 accounts on the
emulator, priced against a catalog collected from the same emulator, checked against an oracle
computed from the emulator's own catalog objects (not from our SQL)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import queries
from pipeline.account.servers import _from_v2, server_drift
from pipeline.cli import main
from pipeline.collect.collector import collect
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.fakeapi.catalogs import V2Catalog, load_json
from pipeline.fakeapi.seed_fleet import RETIRED_V1_PLAN
from tests.conftest import fast_settings

KEY = "FLEETKEY0123456789ABCDEF"
NOW = datetime.now(UTC)


@pytest.fixture
def api():
    with FakeVultr(rate_limit=False, api_key=KEY).start() as emulator:
        yield emulator


def run_fleet(capsys, api: FakeVultr, data_dir: Path, version: str = "v2", fmt: str = "json") -> tuple[int, str, str]:
    code = main(["fleet", "--api-version", version, "--base-url", f"{api.base_url}/{version}",
                 "--data-dir", str(data_dir), "--format", fmt])
    out, err = capsys.readouterr()
    return code, out, err


def by_label(out: str) -> dict[str, dict]:
    return {row["label"]: row for row in json.loads(out)}


# -- an oracle from the emulator's catalog objects ------------------------------------------
def region_price(plan: dict, region_id: str) -> Decimal:
    override = (plan.get("location_cost") or {}).get(region_id) or {}
    return Decimal(str(override.get("monthly_cost", plan["monthly_cost"])))


SHARED_TYPES = {"vc2", "vhf", "vhp"}  # shared vCPUs (Vultr's pricing page); every other type is dedicated


def is_gpu(plan: dict) -> bool:
    return plan.get("gpu_brand", "none") != "none" or plan["type"] in ("vcg", "vdm")


def same_class(plan: dict, candidate: dict) -> bool:
    """Never shared vCPUs for dedicated ones, never no GPU for a GPU."""
    dedicated = plan["type"] not in SHARED_TYPES
    return (not dedicated or candidate["type"] not in SHARED_TYPES) and (not is_gpu(plan) or is_gpu(candidate))


def cheapest_v2(catalog: V2Catalog, region_id: str, plan: dict) -> tuple[str, Decimal]:
    stock = catalog.in_stock[region_id]
    fits = [p for p in catalog.plans if p["id"] in stock and p.get("deploy_ondemand", True)
            and region_price(p, region_id) > 0 and same_class(plan, p)
            and p["vcpu_count"] >= plan["vcpu_count"]
            and p["ram"] >= plan["ram"] and p["disk"] >= plan["disk"]]
    best = min(fits, key=lambda p: (region_price(p, region_id), -p["vcpu_count"], -p["ram"], p["id"]))
    return best["id"], region_price(best, region_id)


def sold_out_pair(catalog: V2Catalog, region_id: str) -> dict:
    return next(p for p in catalog.plans if region_id in p["locations"]
                and p["id"] not in catalog.in_stock[region_id])


def in_stock(catalog: V2Catalog, region_id: str, plan_id: str) -> dict:
    plan = next(p for p in catalog.plans if p["id"] == plan_id)
    assert plan_id in catalog.in_stock[region_id]
    return plan


# -- v2 -------------------------------------------------------------------------------------
def test_fleet_v2_prices_each_server_and_finds_the_cheapest_equivalent(api, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, requests_per_second=500))
    catalog, fleet = api.v2_catalog(), api.fleets["v2"]
    regions = {r["id"]: r for r in catalog.regions}
    os_item = catalog.os[-1]
    web, build = in_stock(catalog, "ewr", "vc2-1c-2gb"), in_stock(catalog, "ewr", "vdc-2c-8gb")
    sold = sold_out_pair(catalog, "ewr")
    retired = next(p for p in load_json("v2/libcloud_v2_plans.json")["plans"]
                   if p["id"] not in {q["id"] for q in catalog.plans})
    for label, plan in (("web", web), ("build", build), ("sold", sold), ("retired", retired)):
        fleet.add(label, regions["ewr"], plan, os_item, NOW - timedelta(days=3))

    code, out, err = run_fleet(capsys, api, data_dir)
    assert code == 0, err
    rows = by_label(out)
    assert set(rows) == {"web", "build", "sold", "retired"}
    for label, plan in (("web", web), ("build", build), ("sold", sold)):
        row = rows[label]
        expected_id, expected_price = cheapest_v2(catalog, "ewr", plan)
        assert (row["plan_id"], row["region_id"], row["vcpu_count"], row["ram_mb"], row["disk_gb"]) == (
            plan["id"], "ewr", plan["vcpu_count"], plan["ram"], plan["disk"])
        assert Decimal(str(row["monthly_cost_usd"])) == region_price(plan, "ewr")
        assert (row["cheapest_plan_id"], Decimal(str(row["cheapest_monthly_cost_usd"]))) == (expected_id, expected_price)
        assert Decimal(str(row["monthly_saving_usd"])) == region_price(plan, "ewr") - expected_price
        assert row["is_plan_retired"] is False
        assert row["price_changed_since_created"] is None  # the history does not reach back 3 days
    assert rows["web"]["is_plan_in_stock"] is True and rows["web"]["cheapest_plan_id"] == "vc2-1c-2gb"
    # a dedicated-CPU server is compared with dedicated-CPU plans only (vc2-4c-8gb is cheaper, but shared)
    assert rows["build"]["cheapest_plan_id"].split("-")[0] not in SHARED_TYPES
    assert rows["sold"]["is_plan_in_stock"] is False
    assert rows["retired"]["is_plan_retired"] is True and rows["retired"]["monthly_cost_usd"] is None
    assert rows["retired"]["monthly_saving_usd"] is None and rows["retired"]["cheapest_plan_id"]
    server_ids = {s.label: s.server_id for s in fleet.all()}
    assert {label: row["server_id"] for label, row in rows.items()} == server_ids


def test_fleet_sold_out_plan_with_nothing_as_cheap_has_a_negative_saving(api, data_dir, capsys, monkeypatch):
    """A plan sold out in its region whose cheapest in-stock equivalent costs more."""
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, requests_per_second=500))
    catalog = api.v2_catalog()
    region_id, plan = next((rid, p) for p in catalog.plans for rid in p["locations"]
                           if rid in catalog.in_stock and p["id"] not in catalog.in_stock[rid]
                           and cheapest_v2(catalog, rid, p)[1] > region_price(p, rid))
    region = next(r for r in catalog.regions if r["id"] == region_id)
    api.fleets["v2"].add("db", region, plan, catalog.os[-1])
    code, out, _ = run_fleet(capsys, api, data_dir)
    row = by_label(out)["db"]
    assert code == 0 and row["is_plan_in_stock"] is False and row["monthly_saving_usd"] < 0
    assert row["cheapest_plan_id"] != plan["id"]


def test_fleet_v2_price_change_since_created_from_the_catalog_history(data_dir, capsys, monkeypatch):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    timeline = Timeline(seed=7, start_at=t0)
    events = [e for e in timeline.events_between(t0, t0 + timedelta(days=200)) if e["kind"] == "price_changed"]
    # the first price change of a cloud plan offered in some region just before it
    event, plan, region = next((e, *found) for e in events
                               if (found := offered_plan(timeline, e["plan_id"], e["at"] - timedelta(hours=1))))
    with FakeVultr(rate_limit=False, timeline=timeline, clock=lambda: event["at"]).start() as api:
        settings = fast_settings(api, data_dir, requests_per_second=500)
        collect(settings, at=event["at"] - timedelta(hours=2))
        before = api.v2_catalog(str(event["at"] - timedelta(hours=1)))
        collect(settings, at=event["at"])
        api.fleets["v2"].add("old", region, plan, before.os[-1], created_at=event["at"] - timedelta(hours=1))
        api.fleets["v2"].add("new", region, plan, before.os[-1], created_at=event["at"] + timedelta(minutes=5))
        monkeypatch.setenv("VULTR_API_KEY", KEY)
        code, out, _ = run_fleet(capsys, api, data_dir)
    rows = by_label(out)
    assert code == 0
    assert rows["old"]["price_changed_since_created"] is True
    assert Decimal(str(rows["old"]["created_monthly_cost_usd"])) == Decimal(str(plan["monthly_cost"]))
    assert Decimal(str(rows["old"]["monthly_cost_usd"])) != Decimal(str(plan["monthly_cost"]))
    assert rows["new"]["price_changed_since_created"] is False


def offered_plan(timeline: Timeline, plan_id: str, at: datetime) -> tuple[dict, dict] | None:
    catalog = timeline.catalog_at(at)
    regions = {r["id"]: r for r in catalog.regions}
    plan = next((p for p in catalog.plans if p["id"] == plan_id), None)
    offered = [rid for rid in (plan or {}).get("locations", []) if rid in regions]
    return (plan, regions[offered[0]]) if offered else None


# -- v1 -------------------------------------------------------------------------------------
def test_fleet_v1_over_server_list(api, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, version="v1", requests_per_second=500))
    catalog, fleet = api._v1, api.fleets["v1"]
    region = json.loads(catalog.regions_body)["1"]  # New Jersey, regioncode EWR
    os_item = json.loads(catalog.os_body)["362"]
    cheaper_then = dict(catalog.plans["201"], price_per_month="4.00")  # what it cost when created
    sold_id = next(k for k, p in catalog.plans.items() if 1 in p["available_locations"]
                   and int(k) not in catalog.availability["1"])
    fleet.add("web", region, catalog.plans["201"], os_item)
    fleet.add("old-price", region, cheaper_then, os_item)
    fleet.add("sold", region, catalog.plans[sold_id], os_item)
    fleet.add("retired", region, dict(RETIRED_V1_PLAN), os_item)
    code, out, err = run_fleet(capsys, api, data_dir, version="v1")
    assert code == 0, err
    rows = by_label(out)
    web = rows["web"]
    assert (web["region_id"], web["plan_id"], web["vcpu_count"], web["ram_mb"], web["disk_gb"]) == ("ewr", "201", 1, 1024, 25)
    assert (web["monthly_cost_usd"], web["cheapest_plan_id"], web["monthly_saving_usd"]) == (5.00, "201", 0)
    assert web["is_plan_in_stock"] is True and web["price_changed_since_created"] is False
    assert rows["old-price"]["price_changed_since_created"] is True
    assert rows["old-price"]["created_monthly_cost_usd"] == 4.00
    assert rows["sold"]["is_plan_in_stock"] is False and rows["sold"]["plan_id"] == sold_id
    assert rows["retired"]["is_plan_retired"] is True and rows["retired"]["monthly_cost_usd"] is None
    assert rows["retired"]["cheapest_plan_id"] == "201"  # 1 vCPU, >= 768 MB, >= 15 GB at $5


def test_fleet_table_ends_with_a_total_line(api, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, requests_per_second=500))
    catalog = api.v2_catalog()
    ewr = next(r for r in catalog.regions if r["id"] == "ewr")
    for plan_id in ("vc2-1c-2gb", "vdc-2c-8gb"):
        api.fleets["v2"].add(plan_id, ewr, in_stock(catalog, "ewr", plan_id), catalog.os[-1])
    code, out, _ = run_fleet(capsys, api, data_dir, fmt="table")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 5 and "vdc-2c-8gb" in out
    now = (region_price(in_stock(catalog, "ewr", "vc2-1c-2gb"), "ewr")
           + region_price(in_stock(catalog, "ewr", "vdc-2c-8gb"), "ewr"))
    assert lines[-1].startswith(f"total: 2 servers, ${now:.2f}/mo now")


def test_fleet_without_a_key_is_one_line_and_exit_1(api, data_dir, capsys, monkeypatch):
    monkeypatch.delenv("VULTR_API_KEY", raising=False)
    collect(fast_settings(api, data_dir, requests_per_second=500))
    before = len(api.requests)
    code, out, err = run_fleet(capsys, api, data_dir)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("Error: VULTR_API_KEY is not set")
    assert len(api.requests) == before  # no account call was even tried


def test_fleet_without_a_catalog_says_which_command_to_run(api, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    code, out, err = run_fleet(capsys, api, data_dir)
    assert code == 1 and out == "" and "vultr-catalog collect" in err and err.count("\n") == 1
    assert not [r for r in api.requests if r.path.startswith("/v2/instances")]  # no account read for nothing


def test_fleet_with_a_wrong_key_says_so(api, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", "WRONGKEY0123456789")
    collect(fast_settings(api, data_dir, requests_per_second=500))
    code, out, err = run_fleet(capsys, api, data_dir)
    assert code == 1 and out == "" and "HTTP 401" in err and "WRONGKEY0123456789" not in err


# -- secrets --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_password_kvm_and_key_never_reach_output_logs_or_files(api, data_dir, capsys, caplog, monkeypatch, fmt):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, version="v1", requests_per_second=500))
    region = json.loads(api._v1.regions_body)["1"]
    server = api.fleets["v1"].add("web", region, api._v1.plans["201"], json.loads(api._v1.os_body)["362"])
    caplog.set_level("DEBUG")
    code = main(["--debug", "fleet", "--api-version", "v1", "--base-url", f"{api.base_url}/v1",
                 "--data-dir", str(data_dir), "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 0 and "web" in out
    listed = [r for r in api.requests if r.path == "/v1/server/list"]
    assert listed and listed[-1].status == 200  # the password really was on the wire
    secrets = [server.default_password, server.kvm_token, KEY]
    files = [p for p in Path(data_dir).rglob("*") if p.is_file()]
    assert files  # the catalog and warehouse are there to search
    for secret in secrets:
        assert secret not in out and secret not in err and secret not in caplog.text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


# -- the read side on plain data (notebooks) --------------------------------------------------
def test_fleet_costs_takes_plain_dicts_and_an_empty_fleet(api, data_dir):
    collect(fast_settings(api, data_dir, requests_per_second=500))
    with queries.catalog(data_dir) as con:
        empty = queries.fleet_costs(con, [])
        one = queries.fleet_costs(con, [{"server_id": "s1", "label": "x", "region_id": "ewr",
                                         "plan_id": "vc2-1c-2gb", "vcpu_count": 1, "ram_mb": 2048,
                                         "disk_gb": 55, "is_bare_metal": False}])
    assert empty.empty and "monthly_saving_usd" in empty.columns
    assert one.loc[0, "monthly_cost_usd"] == Decimal("10") and one.loc[0, "cheapest_plan_id"] == "vc2-1c-2gb"
    assert queries.fleet_totals(one)["monthly_saving_usd"] == Decimal("0")


# -- the dashboard page (serve --fleet only) ---------------------------------------------------
def test_serve_fleet_alone_switches_the_page_on(monkeypatch, tmp_path):
    from pipeline.service.serve import FLEET_ENV, app_env

    monkeypatch.setenv(FLEET_ENV, "1")  # a stray variable does not switch it on
    assert FLEET_ENV not in app_env(tmp_path)
    env = app_env(tmp_path, {"api_version": "v1", "base_url": "http://127.0.0.1:9/v1"})
    assert (env[FLEET_ENV], env["VULTR_CATALOG_API_VERSION"], env["VULTR_CATALOG_BASE_URL"]) == (
        "1", "v1", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("VULTR_API_KEY", "REAL")  # the key is inherited, never on a command line
    assert app_env(tmp_path, {"api_version": "v2", "base_url": "u"})["VULTR_API_KEY"] == "REAL"


def test_your_fleet_page_lists_the_servers_live(api, data_dir, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    collect(fast_settings(api, data_dir, requests_per_second=500))
    catalog = api.v2_catalog()
    ewr = next(r for r in catalog.regions if r["id"] == "ewr")
    server = api.fleets["v2"].add("build-box", ewr, in_stock(catalog, "ewr", "vdc-2c-8gb"), catalog.os[-1])
    for name, value in {"VULTR_CATALOG_DATA_DIR": str(data_dir), "VULTR_API_KEY": KEY,
                        "VULTR_CATALOG_BASE_URL": f"{api.base_url}/v2"}.items():
        monkeypatch.setenv(name, value)
    app = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
    st.cache_data.clear()

    monkeypatch.delenv("VULTR_CATALOG_FLEET", raising=False)
    hidden = AppTest.from_file(str(app), default_timeout=120)
    hidden.switch_page("app_pages/fleet.py")  # a link to the page does not open it without --fleet
    hidden.run()
    assert "Your fleet" not in [t.value for t in hidden.title]
    assert "build-box" not in " ".join(m.value for m in hidden.markdown)

    monkeypatch.setenv("VULTR_CATALOG_FLEET", "1")
    at = AppTest.from_file(str(app), default_timeout=120)
    at.switch_page("app_pages/fleet.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Your fleet"
    text = " ".join(m.value for m in at.markdown)
    assert "build-box" in text and "vdc-2c-8gb" in text and "$60.00" in text
    assert server.default_password not in text and server.kvm_token not in text
    assert [m.value for m in at.metric][:2] == ["1", "$60.00"]


def test_fleet_prices_a_server_at_its_region_s_price(api, data_dir, capsys, monkeypatch):
    """A plan with a regional override (v2 location_cost, e.g. São Paulo): the region's price, not the base."""
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(api, data_dir, requests_per_second=500))
    catalog = api.v2_catalog()
    plan, region_id = next((p, rid) for p in catalog.plans for rid in (p.get("location_cost") or {})
                           if p["id"] in catalog.in_stock.get(rid, ()))
    region = next(r for r in catalog.regions if r["id"] == region_id)
    api.fleets["v2"].add("regional", region, plan, catalog.os[-1])
    code, out, err = run_fleet(capsys, api, data_dir)
    row = by_label(out)["regional"]
    expected_id, expected_price = cheapest_v2(catalog, region_id, plan)
    assert code == 0, err
    assert Decimal(str(row["monthly_cost_usd"])) == region_price(plan, region_id) != Decimal(str(plan["monthly_cost"]))
    assert row["is_regional_price"] is True
    assert (row["cheapest_plan_id"], Decimal(str(row["cheapest_monthly_cost_usd"]))) == (expected_id, expected_price)
    assert Decimal(str(row["monthly_saving_usd"])) == region_price(plan, region_id) - expected_price


def test_the_seed_fleet_shows_every_case(data_dir, capsys, monkeypatch):
    with FakeVultr(rate_limit=False, seed_fleet=True).start() as api:
        collect(fast_settings(api, data_dir, requests_per_second=500))
        monkeypatch.setenv("VULTR_API_KEY", "any-key-for-the-emulator")
        code, out, _ = run_fleet(capsys, api, data_dir)
    rows = by_label(out)
    assert code == 0 and set(rows) == {"web-1", "build-1", "db-1", "legacy-1", "sp-1", "metal-1"}
    assert rows["sp-1"]["is_regional_price"] is True and rows["web-1"]["is_regional_price"] is False
    assert rows["build-1"]["cheapest_plan_id"].split("-")[0] not in SHARED_TYPES  # dedicated for dedicated
    assert rows["web-1"]["monthly_saving_usd"] >= 0 and rows["db-1"]["is_plan_in_stock"] is False
    assert rows["legacy-1"]["is_plan_retired"] is True and rows["metal-1"]["is_bare_metal"] is True


def test_server_field_drift_is_a_warning_and_the_emulators_answers_have_none(data_dir, capsys, monkeypatch, caplog):
    """The server fields fleet reads: the emulator's answers (shaped on Vultr's) drift in none; a field
    missing or sent as another JSON type is named (account data is never stored: a warning, not a row)."""
    with FakeVultr(rate_limit=False, seed_fleet=True).start() as api:
        collect(fast_settings(api, data_dir, requests_per_second=500))
        monkeypatch.setenv("VULTR_API_KEY", "any-key-for-the-emulator")  # 16+ characters (issue 26)
        with caplog.at_level("WARNING", logger="pipeline.account.servers"):
            code, _, _ = run_fleet(capsys, api, data_dir)
    assert code == 0 and "drifted" not in caplog.text
    instance = {"id": "i", "label": "web", "region": "ewr", "plan": "vc2-1c-1gb", "date_created": "2026-01-01T00:00:00+00:00",
                "vcpu_count": "1", "ram": 1024}  # SYNTHETIC: vcpu_count as a string, no disk
    assert server_drift("instances", [instance]) == {"instances.vcpu_count sent as str", "instances.disk missing"}
    assert _from_v2(instance, False)["vcpu_count"] == 1  # read as the number all the same
