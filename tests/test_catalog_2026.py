"""The 2026 catalogs end to end (both shapes: mid-2026 and January 2026): regional prices in answers and
history, preemptible-only plans, GPU filters, any-region search, and schema drift visible but never fatal."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pipeline import queries
from pipeline.cli import main
from pipeline.collect.collector import collect
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.fakeapi.timeline import DRIFT_FIELD
from pipeline.queries.status import collector_status, render_status
from pipeline.service.alerts import load_rules
from pipeline.service.alerts import test_rules as match_rules
from tests.conftest import CATALOGS, fast_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


# the plan one deploys in São Paulo for vc2-1c-1gb: the base plan at its location_cost (mid 2026), or
# the separate -sc1 plan (January 2026)
SAO_PLAN = {"2026-07": "vc2-1c-1gb", "2026-01": "vc2-1c-1gb-sc1"}


@pytest.fixture(scope="module", params=CATALOGS)
def catalog(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def catalog_dirs(tmp_path_factory) -> dict:
    """One snapshot of each of the emulator's 2026 catalogs."""
    dirs = {}
    for name in CATALOGS:
        dirs[name] = tmp_path_factory.mktemp(f"c{name}") / "data"
        with FakeVultr(catalog=name, rate_limit=False).start() as api:
            collect(fast_settings(api, dirs[name], requests_per_second=500))
    return dirs


@pytest.fixture(scope="module")
def catalog_dir(catalog, catalog_dirs):
    return catalog_dirs[catalog]


def cheapest_json(capsys, data_dir, *args: str) -> list[dict]:
    assert main(["cheapest", *args, "--format", "json", "--data-dir", str(data_dir)]) == 0
    return json.loads(capsys.readouterr().out)


def test_sao_is_answered_at_the_sao_price(capsys, catalog, catalog_dir):
    """Either shape gives the same São Paulo answer and price, naming the plan id one would deploy."""
    sao = cheapest_json(capsys, catalog_dir, "--region", "sao", "--type", "vc2", "--include-sold-out")
    first = sao[0]
    assert (first["plan_id"], first["region_id"], first["monthly_cost_usd"], first["hourly_cost_usd"]) == (
        SAO_PLAN[catalog], "sao", 7.5, 0.01)
    if catalog == "2026-07":  # a regional price of the base plan (January: a plan of its own)
        assert first["is_regional_price"] is True and first["base_monthly_cost_usd"] == 5
    ewr = cheapest_json(capsys, catalog_dir, "--region", "ewr", "--type", "vc2", "--include-sold-out")
    row = next(r for r in ewr if r["plan_id"] == "vc2-1c-1gb")
    assert (row["monthly_cost_usd"], row["is_regional_price"]) == (5, False)


def test_a_regional_price_changes_the_ranking_in_that_region(catalog, catalog_dir):
    """vc2-1c-1gb (5.00) beats vhp-1c-1gb-amd (6.00) in ewr, but costs 7.50 in sao, where vhp wins."""
    sao_plan = SAO_PLAN[catalog]

    def order(region: str) -> list[str]:
        with queries.catalog(catalog_dir) as con:
            ranked = queries.cheapest(con, queries.PlanFilter(region, in_stock_only=False))
        return [p for p in ranked["plan_id"] if p in ("vc2-1c-1gb", sao_plan, "vhp-1c-1gb-amd")]
    assert order("ewr") == ["vc2-1c-1gb", "vhp-1c-1gb-amd"]
    assert order("sao") == ["vhp-1c-1gb-amd", sao_plan]


def test_preemptible_only_is_never_an_on_demand_answer(capsys, catalog_dir):
    with queries.catalog(catalog_dir) as con:
        only = queries.run_sql(con, "select plan_id from plans where is_deployable_ondemand = false"
                                    " and is_deployable_preemptible order by plan_id")["plan_id"].tolist()
        offered = set(queries.plan_prices(con)["plan_id"])
    assert only == ["vbm-64c-2048gb-8-a100-gpu", "vcg-mi300x-8c-120g-192vram"]
    assert "vcg-mi300x-8c-120g-192vram" in offered  # offered (and priced) somewhere, yet not on demand
    for plan_type in ("vcg", "vbm"):
        rows = cheapest_json(capsys, catalog_dir, "--region", "any", "--type", plan_type, "--include-sold-out")
        assert rows and not {r["plan_id"] for r in rows} & set(only)


def test_any_region_gpu_search_ranks_pairs(capsys, catalog_dir):
    rows = cheapest_json(capsys, catalog_dir, "--region", "any", "--each-region", "--type", "vcg", "--min-gpu-vram-gb", "48",
                         "--include-sold-out")
    assert rows and all(r["gpu_vram_gb"] >= 48 for r in rows)
    assert len({r["region_id"] for r in rows}) > 1
    keys = [(Decimal(str(r["monthly_cost_usd"])), -r["vcpu_count"], -r["ram_mb"], r["plan_id"], r["region_id"])
            for r in rows]
    assert keys == sorted(keys)
    a16 = cheapest_json(capsys, catalog_dir, "--region", "any", "--gpu-type", "nvidia_a16", "--include-sold-out")
    assert {r["gpu_type"] for r in a16} == {"NVIDIA_A16"}
    assert {Decimal(str(r["gpu_count"])) for r in a16} >= {Decimal("0.125"), Decimal("0.25"), Decimal("0.5")}


def test_continent_and_cpu_vendor_filters(capsys, catalog_dir):
    rows = cheapest_json(capsys, catalog_dir, "--continent", "south america", "--cpu-vendor", "amd",
                         "--include-sold-out")
    assert rows and {r["continent"] for r in rows} == {"South America"}
    assert {r["cpu_vendor"] for r in rows} == {"AMD"}
    assert main(["cheapest", "--continent", "Atlantis", "--data-dir", str(catalog_dir)]) == 1
    assert "unknown continent 'Atlantis'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["cheapest", "--data-dir", str(catalog_dir)])
    assert usage.value.code == 2


def regional_event() -> dict:
    timeline = Timeline(seed=7, start_at=T0)
    return next(e for e in timeline.events_between(T0, T0 + timedelta(days=200))
                if e["kind"] == "regional_price_changed")


def test_regional_price_change_is_tracked_and_alertable(data_dir, tmp_path):
    event = regional_event()
    with FakeVultr(timeline=Timeline(seed=7, start_at=T0), rate_limit=False).start() as api:
        settings = fast_settings(api, data_dir, requests_per_second=500)
        collect(settings, at=event["at"] - HOUR)
        collect(settings, at=event["at"])
    key = {"plan_id": event["plan_id"], "region_id": event["region_id"]}
    with queries.catalog(data_dir) as con:
        changes = queries.run_sql(con, "select region_id, field, old_value, new_value from catalog_changes"
                                       " where entity = 'plan_price' and field = 'monthly_cost_usd'")
        before = queries.plan_prices(con, at=event["at"] - timedelta(minutes=1), **key)
        now = queries.plan_prices(con, **key)
    assert changes.to_dict("records") == [{
        "region_id": event["region_id"], "field": "monthly_cost_usd",
        "old_value": f"{Decimal(str(event['detail']['old_monthly_cost'])):.6f}",
        "new_value": f"{Decimal(str(event['detail']['new_monthly_cost'])):.6f}"}]
    assert before["monthly_cost_usd"].tolist() == [Decimal(str(event["detail"]["old_monthly_cost"]))]
    assert now["monthly_cost_usd"].tolist() == [Decimal(str(event["detail"]["new_monthly_cost"]))]
    assert now["is_regional_price"].tolist() == [True]
    rules = tmp_path / "rules.toml"
    rules.write_text(f'[[rule]]\nname = "regional"\nentity = "plan_price"\nregions = ["{event["region_id"]}"]\n'
                     'field = "monthly_cost_usd"\n')
    matched = match_rules(load_rules(rules), data_dir)
    assert matched[["entity", "entity_id", "region_id"]].values.tolist() == [
        ["plan_price", event["plan_id"], event["region_id"]]]


def test_a_drifted_field_is_named_not_fatal(data_dir, capsys):
    drift_at = T0 + 2 * HOUR
    with FakeVultr(timeline=Timeline(seed=3, start_at=T0, drift_at=drift_at), rate_limit=False).start() as api:
        settings = fast_settings(api, data_dir, requests_per_second=500)
        ids = [collect(settings, at=T0 + h * HOUR).snapshot_id for h in range(4)]
    with queries.catalog(data_dir) as con:
        drift = queries.schema_drift(con)
        fields = set(queries.run_sql(con, "select entity || '.' || field as f from api_fields")["f"])
    later = drift[drift["first_snapshot_id"] != ids[0]]  # what the served catalog sends from the start is not this test's
    assert later[["entity", "field", "first_snapshot_id"]].values.tolist() == [
        ["plan", DRIFT_FIELD, ids[2]], ["plan_metal", DRIFT_FIELD, ids[2]]]
    assert later["first_seen_at"].tolist()[0].to_pydatetime() == drift_at
    assert {"plan.location_cost", "plan_metal.cpu_mhz", "region.continent"} <= fields
    status = collector_status(data_dir)
    assert [d["field"] for d in status["schema_drift"]].count(DRIFT_FIELD) == 2
    assert f"plan field `{DRIFT_FIELD}` since snapshot {ids[2]}" in render_status(status)
    assert main(["status", "--data-dir", str(data_dir)]) == 0
    assert "schema drift" in capsys.readouterr().out


def test_cheapest_prices_agree_with_the_plan_prices_view(catalog_dir):
    with queries.catalog(catalog_dir) as con:
        ranked = queries.cheapest(con, queries.PlanFilter("any", in_stock_only=False))
        view = queries.plan_prices(con)
    merged = ranked.merge(view, on=["plan_id", "region_id"], suffixes=("", "_view"))
    assert len(merged) == len(ranked) > 0
    for column in ("monthly_cost_usd", "hourly_cost_usd", "is_regional_price"):
        assert merged[column].tolist() == merged[f"{column}_view"].tolist(), column
    can_preempt = merged["is_deployable_preemptible"].astype("object").ne(False)  # a preemptible price only there
    for column in ("monthly_cost_preemptible_usd", "hourly_cost_preemptible_usd"):
        assert merged[column].tolist() == merged[f"{column}_view"].where(can_preempt, None).tolist(), column


def test_gpu_metal_and_cpu_class_answers_agree_across_both_shapes(capsys, catalog_dirs):
    """The same machines answer from either catalog: GPUs of 80 GB+ (the vdm plans from the packaged
    table: the API sends them no GPU fields), bare metal of 16+ vCPUs (threads), dedicated CPUs."""
    def answers(name: str, *args: str) -> list[tuple]:
        rows = cheapest_json(capsys, catalog_dirs[name], "--region", "any", "--each-region", "--include-sold-out", *args)
        return [(r["plan_id"], r["region_id"], r["monthly_cost_usd"]) for r in rows]

    for args in (("--min-gpu-vram-gb", "80"), ("--type", "vbm", "--min-vcpu", "16"),
                 ("--cpu-allocation", "dedicated", "--type", "voc")):
        july, january = answers("2026-07", *args), answers("2026-01", *args)
        assert july and july == january, args
    gpus = {plan for plan, _, _ in answers("2026-07", "--min-gpu-vram-gb", "80")}
    assert "vcg-h100-216c-1914gb-640vram" in gpus and "vbm-64c-2048gb-8-a100-gpu" not in gpus  # preemptible only
    metal = {plan for plan, _, _ in answers("2026-01", "--type", "vbm", "--min-vcpu", "16")}
    assert "vbm-8c-132gb" in metal and "vbm-4c-32gb" not in metal  # 16 threads on 8 cores; 8 threads
