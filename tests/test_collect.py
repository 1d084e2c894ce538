"""End to end over loopback HTTP: emulator -> client -> raw -> staging -> history -> published catalog."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.collect.collector import collect
from pipeline.errors import CatalogError
from pipeline.fakeapi import FakeVultr, Fault
from pipeline.paths import catalog_path, warehouse_path
from tests.conftest import V1_REGIONS, each_catalog, fast_settings, file_digest

PUBLIC_COLUMNS = {
    "snapshots": ["snapshot_id", "api_version", "base_url", "started_at", "finished_at", "status", "error",
                  "request_count"],
    "regions": ["region_id", "city", "country", "continent", "options"],
    "plans": ["plan_id", "plan_type", "vcpu_count", "ram_mb", "disk_gb", "disk_count", "bandwidth_gb",
              "monthly_cost_usd", "hourly_cost_usd", "is_bare_metal"],
    "plan_locations": ["plan_id", "region_id"],
    "availability": ["region_id", "plan_id"],
    "operating_systems": ["os_id", "name", "arch", "family", "is_windows"],
}


def read_catalog(data_dir, query, params=None):
    con = duckdb.connect(str(catalog_path(data_dir)), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


@each_catalog
def test_v2_collect_publishes_every_public_view(api, data_dir):
    result = collect(fast_settings(api, data_dir))
    assert result.status == "ok" and result.is_baseline
    for view, columns in PUBLIC_COLUMNS.items():
        names = [r[0] for r in read_catalog(data_dir, f"select column_name from (describe {view})")]
        assert names[: len(columns)] == columns, view
    regions = read_catalog(data_dir, "select region_id from regions")
    assert len(regions) == 32 + (("mxp",) in regions)  # the 32 recorded in January 2026, and mxp (mid 2026)
    metal = read_catalog(data_dir, "select plan_type, is_bare_metal, disk_type from plans where plan_id = 'vbm-4c-32gb'")
    assert metal == [("vbm", True, "SSD")]


@each_catalog
def test_availability_is_not_offered(api, data_dir):
    collect(fast_settings(api, data_dir))
    sold_out = read_catalog(data_dir, "select count(*) from plan_locations l anti join availability a"
                                      " using (plan_id, region_id)")[0][0]
    not_offered = read_catalog(data_dir, "select count(*) from availability a anti join plan_locations l"
                                         " using (plan_id, region_id)")[0][0]
    assert sold_out > 0
    assert not_offered == 0


@each_catalog
def test_money_is_exact_decimal(api, data_dir):
    collect(fast_settings(api, data_dir))
    rows = read_catalog(data_dir, "select monthly_cost_usd, hourly_cost_usd, typeof(monthly_cost_usd)"
                                  " from plans where plan_id = 'vc2-1c-0.5gb-v6'")
    assert rows == [(Decimal("2.5"), Decimal("0.003"), "DECIMAL(18,6)")]


def test_pagination_gets_hundreds_of_plans(data_dir):
    with FakeVultr(synthetic_plans=400, unlimited=("v2",)).start() as api:
        result = collect(fast_settings(api, data_dir, per_page=100))
        plan_pages = [r for r in api.requests if r[1] == "/v2/plans"]
    total = read_catalog(data_dir, "select count(*) from plans where not is_bare_metal")[0][0]
    assert total == 63 + 400
    assert len(plan_pages) == 5
    assert result.request_count > 32


def test_rate_limited_requests_are_retried(api, data_dir):
    api.set_fault("/v2/plans", Fault("429", times=1))
    api.set_fault("/v2/regions/fra/availability", Fault("503", times=2))
    result = collect(fast_settings(api, data_dir, max_retries=3))
    assert result.status == "ok"
    statuses = [r[3] for r in api.requests if r[1] == "/v2/regions/fra/availability"]
    assert statuses == [503, 503, 200]


def test_v1_end_to_end(v1_api, data_dir):
    api = v1_api
    result = collect(fast_settings(api, data_dir, version="v1"))
    asked = {r.query for r in api.requests if r.path == "/v1/regions/availability"}
    assert asked == {f"DCID={dcid}" for dcid in V1_REGIONS}  # one region each (a 503 retry asks again)
    assert result.status == "ok"
    assert read_catalog(data_dir, "select count(*) from plans")[0][0] == 19
    fra = read_catalog(data_dir, "select region_id, city, country from regions where region_id = 'fra'")
    assert fra == [("fra", "Frankfurt", "DE")]
    types = dict(read_catalog(data_dir, "select plan_id, plan_type from plans where plan_id in ('201','400','115')"))
    assert types == {"201": "vc2", "400": "vhf", "115": "vdc"}
    orphan = read_catalog(data_dir, "select count(*) from availability a anti join regions r using (region_id)")
    assert orphan == [(0,)]


@pytest.mark.parametrize("path,kind", [
    ("/v2/plans", "500"),
    ("/v2/plans", "truncated"),
    ("/v2/os", "html"),
    ("/v2/plans-metal", "missing_key"),
    ("/v2/regions/ams/availability", "slow"),
])
def test_fault_fails_snapshot_and_keeps_catalog(api, data_dir, path, kind):
    settings = fast_settings(api, data_dir)
    collect(settings)
    before = file_digest(catalog_path(data_dir))
    api.set_fault(path, Fault(kind, delay_s=3.0))
    with pytest.raises(CatalogError) as info:
        collect(settings)
    assert path.removeprefix("/v2") in str(info.value)
    assert file_digest(catalog_path(data_dir)) == before
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    status, error = con.execute("select status, error from snapshots order by snapshot_id desc limit 1").fetchone()
    con.close()
    assert status == "failed" and error


def test_reader_holding_catalog_open_does_not_block_collection(api, data_dir):
    settings = fast_settings(api, data_dir)
    collect(settings)
    reader = duckdb.connect(str(catalog_path(data_dir)), read_only=True)
    try:
        before = reader.execute("select count(*) from snapshots").fetchone()[0]
        collect(settings)
        # the held connection keeps its consistent old view; a new reader sees the new snapshot
        assert reader.execute("select count(*) from snapshots").fetchone()[0] == before
    finally:
        reader.close()
    assert read_catalog(data_dir, "select count(*) from snapshots")[0][0] == before + 1


def test_api_key_is_sent_but_never_stored(api, data_dir):
    secret = "sekret-key-123456"
    collect(fast_settings(api, data_dir, api_key=secret))
    auth = {r[4].get("Authorization") for r in api.requests}
    assert auth == {f"Bearer {secret}"}
    for path in data_dir.iterdir():
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def raw_counts(data_dir):
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    try:
        return con.execute("select (select count(*) from raw_bodies), (select count(*) from _request_runs),"
                           " (select sum(seen_count) from _request_runs)").fetchone()
    finally:
        con.close()


def test_raw_bodies_are_content_addressed(api, data_dir):
    settings = fast_settings(api, data_dir)
    first = collect(settings)
    bodies, runs, requests = raw_counts(data_dir)
    second = collect(settings)
    assert second.change_count == 0
    # identical answers: no new body, no new request-log row, each run seen once more
    assert raw_counts(data_dir) == (bodies, runs, requests + second.request_count)
    assert requests == runs == first.request_count


def test_v1_plain_text_error_fails_snapshot(v1_api, data_dir):
    api = v1_api
    settings = fast_settings(api, data_dir, version="v1")
    api.set_fault("/v1/plans/list", Fault("500"))
    with pytest.raises(CatalogError, match=r"GET /plans/list: HTTP 500 after retries"):
        collect(settings)
    assert not catalog_path(data_dir).exists()
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    status = con.execute("select status from snapshots").fetchall()
    con.close()
    assert status == [("failed",)]
