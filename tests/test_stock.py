"""Stock polls (`collect --stock`, `schedule --stock-every`): availability only, a snapshot of their own
kind, all or nothing, gated; the compact request log; rebuild over mixed kinds; the 003 and 008 migrations."""
from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import timedelta

import duckdb
import pytest

from pipeline import cli
from pipeline.collect.collector import collect
from pipeline.errors import AnomalyError, CatalogError, ConfigError
from pipeline.fakeapi import Fault
from pipeline.paths import catalog_path, warehouse_path
from pipeline.service.alerts import load_rules
from pipeline.service.alerts import test_rules as match_history
from pipeline.sql import sql_files
from pipeline.warehouse import store
from pipeline.warehouse.rebuild import rebuild
from tests.conftest import (
    TIMELINE_EVENTS,
    TIMELINE_START,
    fast_settings,
    published_snapshots,
    running_schedule,
    stock_rule,
    stop,
    wait_for,
    write_rules,
)

T0 = TIMELINE_START
HOUR = timedelta(hours=1)
EVENTS = TIMELINE_EVENTS


@pytest.fixture
def run(timeline_api, data_dir):
    settings = fast_settings(timeline_api, data_dir, requests_per_second=500)
    return lambda at, kind="full", **kw: collect(settings, at=at, kind=kind, **kw)


def warehouse_rows(data_dir, query, params=None):
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def restock_event() -> tuple[dict, dict]:
    sold = next(e for e in EVENTS if e["kind"] == "sold_out")
    back = next(e for e in EVENTS if e["kind"] == "restocked" and e["at"] > sold["at"]
                and (e["region_id"], e["plan_id"]) == (sold["region_id"], sold["plan_id"]))
    return sold, back


def test_stock_poll_asks_only_for_availability_and_records_a_restock(run, timeline_api, data_dir):
    sold, back = restock_event()
    run(sold["at"] - HOUR)
    timeline_api.requests.clear()
    for at in (sold["at"] + timedelta(minutes=1), back["at"] + timedelta(minutes=1)):
        result = run(at, kind="stock")
        assert result.status == "ok"
    paths = {r[1] for r in timeline_api.requests}
    assert paths and all(p.startswith("/v2/regions/") and p.endswith("/availability") for p in paths)
    pair = [sold["region_id"], sold["plan_id"]]
    intervals = warehouse_rows(data_dir, "select valid_from, valid_to from availability_history"
                                         " where region_id = ? and plan_id = ? order by valid_from", pair)
    assert intervals == [(sold["at"] - HOUR, sold["at"] + timedelta(minutes=1)), (back["at"] + timedelta(minutes=1), None)]
    kinds = warehouse_rows(data_dir, "select kind, status from snapshots order by snapshot_id")
    assert kinds == [("full", "ok"), ("stock", "ok"), ("stock", "ok")]
    # other entities carried over unchanged: no plan/region/os rows beyond the first snapshot's
    other = warehouse_rows(data_dir, "select count(*) from catalog_changes where entity <> 'availability'")
    assert other == [(0,)]


def test_unchanged_stock_poll_adds_no_row_but_its_snapshot(run, data_dir):
    run(T0)
    run(T0 + timedelta(minutes=1), kind="stock")
    counts = "select (select count(*) from _request_runs), (select count(*) from raw_bodies)," \
             " (select count(*) from availability_history), (select count(*) from snapshots)"
    before = warehouse_rows(data_dir, counts)[0]
    result = run(T0 + timedelta(minutes=2), kind="stock")
    assert result.change_count == 0 and result.request_count > 0
    assert warehouse_rows(data_dir, counts)[0] == (*before[:3], before[3] + 1)
    seen = warehouse_rows(data_dir, "select request_count, kind from snapshots order by snapshot_id desc limit 1")
    assert seen == [(result.request_count, "stock")]


def test_region_launched_between_full_collections_waits_for_the_next_one(run, timeline_api, data_dir):
    launch = next(e for e in EVENTS if e["kind"] == "region_launched")
    run(launch["at"] - HOUR)
    run(launch["at"] + timedelta(minutes=1), kind="stock")
    asked = {r[1] for r in timeline_api.requests}
    assert f"/v2/regions/{launch['region_id']}/availability" not in asked
    new_region = "select count(*) from availability_history where region_id = ?"
    assert warehouse_rows(data_dir, new_region, [launch["region_id"]]) == [(0,)]
    run(launch["at"] + timedelta(minutes=2))
    assert warehouse_rows(data_dir, new_region, [launch["region_id"]])[0][0] > 0


def test_stock_poll_obeys_the_quality_gate_and_publishes_nothing(run, timeline_api, data_dir):
    run(T0)
    before = catalog_path(data_dir).read_bytes()
    timeline_api.set_fault("*", Fault("empty"))
    with pytest.raises(AnomalyError, match="availability is empty in every region"):
        run(T0 + timedelta(minutes=1), kind="stock")
    timeline_api.clear_faults()
    assert catalog_path(data_dir).read_bytes() == before
    assert warehouse_rows(data_dir, "select kind, status from snapshots order by snapshot_id") == [
        ("full", "ok"), ("stock", "rejected")]


def test_stock_poll_fails_whole_when_one_region_fails(run, timeline_api, data_dir):
    run(T0)
    before = catalog_path(data_dir).read_bytes()
    timeline_api.set_fault("/v2/regions/fra/availability", Fault("500"))
    with pytest.raises(Exception, match="HTTP 500"):
        run(T0 + timedelta(minutes=1), kind="stock")
    assert catalog_path(data_dir).read_bytes() == before


def test_stock_poll_needs_a_catalog(run):
    with pytest.raises(ConfigError, match="run a full `vultr-catalog collect` first"):
        run(T0, kind="stock")


def test_v1_stock_poll_asks_availability_per_dcid(timeline_api, data_dir, capsys):
    base = ["--data-dir", str(data_dir), "--api-version", "v1", "--base-url", f"{timeline_api.base_url}/v1",
            "--rate-limit", "500"]
    assert cli.main(["collect", *base]) == 0
    timeline_api.requests.clear()
    assert cli.main(["collect", "--stock", *base]) == 0
    assert " stock ok:" in capsys.readouterr().out
    asked = [(r[1], r[2]) for r in timeline_api.requests]
    assert asked and all(path == "/v1/regions/availability" and query.startswith("DCID=") for path, query in asked)
    dcids = warehouse_rows(data_dir, "select count(*) from regions_history where valid_to is null")[0][0]
    assert len(asked) == dcids


def test_rebuild_reproduces_mixed_full_and_stock_history(run, data_dir):
    sold, _ = restock_event()
    start = sold["at"] - 2 * HOUR
    for minute in range(0, 60 * 4, 20):
        at = start + timedelta(minutes=minute)
        run(at, kind="full" if minute % 60 == 0 else "stock")
    tables = ["availability_history", "plans_history", "regions_history", "catalog_changes", "_applied_bodies"]
    before = {t: warehouse_rows(data_dir, f"select * from {t} order by all") for t in tables}
    assert len(before["catalog_changes"]) > 0
    rebuild(data_dir)
    assert {t: warehouse_rows(data_dir, f"select * from {t} order by all") for t in tables} == before


def test_rebuild_replays_a_poll_that_failed_only_at_publishing(run, data_dir):
    """Such a poll's history was committed before publishing failed, and stays: rebuild replays it too."""
    sold, _ = restock_event()
    run(sold["at"] - HOUR)
    blocker = data_dir / f".catalog.duckdb.{os.getpid()}.tmp"
    blocker.mkdir()  # the temp catalog cannot be written
    with pytest.raises(CatalogError, match="publishing the catalog failed"):
        run(sold["at"] + timedelta(minutes=1), kind="stock")
    blocker.rmdir()
    run(sold["at"] + timedelta(minutes=2), kind="stock")
    tables = ["availability_history", "catalog_changes", "_applied_bodies"]
    before = {t: warehouse_rows(data_dir, f"select * from {t} order by all") for t in tables}
    pair = [sold["region_id"], sold["plan_id"]]
    closed = warehouse_rows(data_dir, "select valid_to from availability_history where region_id = ? and plan_id = ?"
                                      " and valid_to is not null", pair)
    assert closed == [(sold["at"] + timedelta(minutes=1),)]
    rebuild(data_dir)
    assert {t: warehouse_rows(data_dir, f"select * from {t} order by all") for t in tables} == before


def test_a_poll_after_one_that_failed_only_at_publishing_records_the_restock(run, timeline_api, data_dir):
    """Over loopback: a poll sees fra sold out (its answer emptied; held as suspect by the first poll, the
    sell-out confirmed by the second), is applied, then fails at publishing;
    the next poll gets fra's answer as the last ok snapshot had it. That is a restock against the history
    as it stands (the failed poll's), recorded at this poll."""
    run(T0)
    in_fra = "select count(*) from availability_history where region_id = 'fra' and valid_to is null"
    before = warehouse_rows(data_dir, in_fra)[0][0]
    timeline_api.set_fault("/v2/regions/fra/availability", Fault("empty"))
    run(T0 + timedelta(minutes=1), kind="stock")  # fra goes empty: held as suspect, nothing applied
    assert warehouse_rows(data_dir, in_fra)[0][0] == before
    blocker = data_dir / f".catalog.duckdb.{os.getpid()}.tmp"
    blocker.mkdir()  # the temp catalog cannot be written
    with pytest.raises(CatalogError, match="publishing the catalog failed"):
        run(T0 + timedelta(minutes=2), kind="stock")  # still empty: the sell-out is confirmed and applied
    blocker.rmdir()
    timeline_api.clear_faults()
    sold_out = warehouse_rows(data_dir, in_fra)[0][0]
    result = run(T0 + timedelta(minutes=3), kind="stock")
    assert (before > 0, sold_out) == (True, 0)
    assert result.change_count == before
    assert warehouse_rows(data_dir, in_fra)[0][0] == before


def test_migration_turns_the_per_call_log_into_runs(tmp_path):
    """A warehouse from before 003 (one _requests row per call) keeps every answer as runs."""
    path = tmp_path / "data"
    path.mkdir()
    con = duckdb.connect(str(warehouse_path(path)))
    con.execute("create table _migrations (version varchar primary key, applied_at timestamptz)")
    for sql in sql_files("warehouse/sql/schema")[:2]:
        con.execute(sql.read_text())
        con.execute("insert into _migrations values (?, now())", [sql.stem])
    for sid, status in [(1, "ok"), (2, "ok"), (3, "failed"), (4, "ok")]:
        con.execute("insert into snapshots (snapshot_id, api_version, base_url, started_at, status)"
                    " values (?, 'v2', 'x', now(), ?)", [sid, status])
    calls = [(1, "regions", 10), (1, "os", 20), (2, "regions", 10), (2, "os", 21), (3, "regions", 10),
             (4, "regions", 10), (4, "os", 21), (4, "availability", 30)]
    for seq, (sid, endpoint, body) in enumerate(calls):
        con.execute("insert into _requests values (?, ?, ?, ?, '{}', 200, 5, 1.0, ?, now())",
                    [sid, seq, endpoint, f"/{endpoint}", body])
    con.close()
    with store.open_warehouse(path) as con:
        runs = con.execute("select endpoint, body_id, first_snapshot_id, last_snapshot_id, seen_count"
                           " from _request_runs order by endpoint, first_snapshot_id").fetchall()
        applied = con.execute("select endpoint, body_id from _applied_bodies order by all").fetchall()
        kinds = con.execute("select distinct kind from snapshots").fetchall()
    assert runs == [("availability", 30, 4, 4, 1), ("os", 20, 1, 1, 1), ("os", 21, 2, 2, 1), ("os", 21, 4, 4, 1),
                    ("regions", 10, 1, 4, 4)]
    assert applied == [("os", 21), ("regions", 10)]  # availability's are read from the log since 008
    assert kinds == [("full",)]


def test_schedule_stock_cadence_between_full_collections(living_api, data_dir, receiver, tmp_path):
    rules = write_rules(tmp_path / "rules.toml", stock_rule(receiver.url))
    with running_schedule(living_api, data_dir, "--stock-every", "1s", "--alerts", str(rules), every="1h") as process:
        wait_for(lambda: stock_snapshots(data_dir) >= 3 and receiver.bodies,
                 what="three stock polls and an alert")
        assert stop(process) == 0
    rows = warehouse_rows(data_dir, "select kind, status, started_at, finished_at from snapshots order by started_at")
    assert rows[0][:2] == ("full", "ok") and {r[0] for r in rows[1:]} == {"stock"}
    for (_, _, _, finished), (_, _, started, _) in itertools.pairwise(rows):
        assert finished <= started  # one writer: never two collections at once
    full_paths = {"/v2/plans", "/v2/os", "/v2/regions", "/v2/plans-metal"}
    assert sum(1 for r in living_api.requests if r[1] in full_paths) == 4  # only the one full collection
    expected = match_history(load_rules(rules), data_dir)
    assert Counter(receiver.ids()).most_common(1)[0][1] == 1      # alerts from stock polls: once each
    assert set(receiver.ids()) <= set(expected["alert_id"]) and receiver.ids()


def stock_snapshots(data_dir) -> int:
    return sum(1 for row in published_snapshots(data_dir) if row[1] == "ok") - 1
