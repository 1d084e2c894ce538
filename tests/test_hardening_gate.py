"""Hardening (issue 14): a quality gate that knows what plausible is. Each implausible snapshot is
served by the emulator over loopback HTTP, rejected with its reason recorded (exit 1, one line, the
catalog byte-identical), and `--accept-anomalies` still applies it. What staging can resolve on its
own (unknown plans in availability, ids repeated across pages) is applied and reported instead."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.cli import main
from pipeline.collect.collector import collect
from pipeline.fakeapi import FakeVultr, Fault
from pipeline.paths import catalog_path, warehouse_path
from tests.conftest import FAST_V2, fast_settings, file_digest
from tests.test_collect import read_catalog


def collect_cli(api: FakeVultr, data_dir, *extra: str) -> int:
    return main(["collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2, *extra])


def last_snapshot(data_dir) -> tuple:
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    try:
        return con.execute("select status, error, warnings from snapshots order by snapshot_id desc limit 1").fetchone()
    finally:
        con.close()


GATE_CASES = [
    ("/v2/os", Fault("empty"), "the operating system list is empty (was "),
    ("/v2/plans-metal", Fault("empty"), "the bare-metal plan list is empty (was "),
    ("/v2/regions", Fault("empty"), "the region list is empty (was 33)"),
    ("/v2/plans", Fault("reprice", target="vc2-1c-1gb", factor=-1), "1 plan price(s) fell to zero or below: vc2-1c-1gb"),
    ("/v2/plans", Fault("reprice", target="vc2-1c-1gb", factor=0), "1 plan price(s) fell to zero or below: vc2-1c-1gb"),
    ("/v2/plans", Fault("reprice", target="vc2-1c-1gb", factor=20), "1 plan price(s) moved more than x10 or /10: vc2-1c-1gb"),
    ("/v2/plans", Fault("reprice", target="vc2-1c-1gb", factor=0.05), "moved more than x10 or /10: vc2-1c-1gb"),
    (None, 20, "20 new regions at once (more than 16)"),
]


@pytest.mark.parametrize("path, fault, reason", GATE_CASES,
                         ids=["empty-os", "empty-metal", "empty-regions", "negative-price", "zero-price",
                              "price-x20", "price-div20", "region-flood"])
def test_implausible_snapshot_is_rejected_with_its_reason_and_accepted_on_request(api, data_dir, capsys,
                                                                                  path, fault, reason):
    assert collect_cli(api, data_dir) == 0
    before = file_digest(catalog_path(data_dir))
    if path is None:
        api.launch_regions(fault)
    else:
        api.set_fault(path, fault)
    capsys.readouterr()
    assert collect_cli(api, data_dir) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("Error: snapshot rejected by the quality gate: ") and reason in line
    status, error, _ = last_snapshot(data_dir)
    assert status == "rejected" and reason in error
    assert file_digest(catalog_path(data_dir)) == before
    assert collect_cli(api, data_dir, "--accept-anomalies") == 0
    assert last_snapshot(data_dir)[0] == "ok"


def test_availability_naming_an_unknown_plan_is_dropped_counted_and_not_in_stock(api, data_dir, capsys):
    assert collect_cli(api, data_dir) == 0
    api.set_fault("/v2/regions/fra/availability", Fault("unknown_plan", target="vc2-ghost"))
    capsys.readouterr()
    assert collect_cli(api, data_dir) == 0
    err = capsys.readouterr().err
    assert "warning: availability: 1 region-plan pair(s) name a plan absent from the catalog (vc2-ghost); dropped" in err
    assert read_catalog(data_dir, "select count(*) from availability where plan_id = 'vc2-ghost'") == [(0,)]
    assert "vc2-ghost" in read_catalog(data_dir, "select warnings from snapshots order by snapshot_id desc limit 1")[0][0]


@pytest.mark.parametrize("poll", [(), ("--stock",)], ids=["full", "stock"])
def test_a_null_in_an_availability_list_names_no_plan_and_fails_nothing(api, data_dir, poll):
    """A JSON null among the plan ids is dropped by both stagings (the SQL one used to keep it as a pair
    with a NULL plan, which catalog_changes refused (NOT NULL entity_id): the whole snapshot failed)."""
    assert collect_cli(api, data_dir) == 0
    in_stock = read_catalog(data_dir, "select count(*) from availability where region_id = 'fra'")
    api.set_fault("/v2/regions/fra/availability", Fault("null_plan"))
    assert collect_cli(api, data_dir, *poll) == 0
    assert last_snapshot(data_dir)[0] == "ok"
    assert read_catalog(data_dir, "select count(*) from availability where region_id = 'fra'") == in_stock


def test_ids_repeated_across_pages_resolve_to_the_first_page_and_are_reported(api, data_dir):
    """With 10 plans a page, later pages repeat page 1's first plan at $999: page order wins (the
    old request order sorted cursor pages before page 1, so the repeat won)."""
    first = api.v2_catalog().plans[0]
    api.set_fault("/v2/plans", Fault("duplicate_ids", target=first["id"]))
    result = collect(fast_settings(api, data_dir, per_page=10))
    price = read_catalog(data_dir, "select monthly_cost_usd from plans where plan_id = ?", [first["id"]])[0][0]
    assert price == Decimal(str(first["monthly_cost"]))  # not the repeat's 999
    assert any(w.startswith(f"plans: 1 duplicate id(s) ({first['id']})") for w in result.warnings), result.warnings
