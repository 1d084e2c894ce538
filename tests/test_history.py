"""History over the emulator's living timeline: versions, intervals, change events, as-of answers, rebuild."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from pipeline import queries
from pipeline.collect.collector import collect
from pipeline.errors import AnomalyError, CatalogError, ConfigError
from pipeline.fakeapi import Fault
from pipeline.paths import catalog_path, warehouse_path
from pipeline.warehouse import rawstore
from pipeline.warehouse.rebuild import rebuild
from tests.conftest import TIMELINE_EVENTS, TIMELINE_START, fast_settings

T0 = TIMELINE_START
HOUR = timedelta(hours=1)
EVENTS = TIMELINE_EVENTS


def first_event(kind: str) -> dict:
    return next(e for e in EVENTS if e["kind"] == kind)


@pytest.fixture
def collect_at(timeline_api, data_dir):
    settings = fast_settings(timeline_api, data_dir, requests_per_second=500)

    def run(at: datetime, **kwargs):
        return collect(settings, at=at, **kwargs)
    return run


def catalog_rows(data_dir, query, params=None):
    with queries.catalog(data_dir) as con:
        return con.execute(query, params or []).fetchall()


def test_price_change_closes_old_version(collect_at, data_dir):
    event = first_event("price_changed")
    collect_at(event["at"] - HOUR)
    collect_at(event["at"])
    versions = catalog_rows(data_dir, "select monthly_cost_usd, valid_from, valid_to from plans_history"
                                      " where plan_id = ? order by valid_from", [event["plan_id"]])
    assert len(versions) == 2
    (old_price, _, old_to), (new_price, new_from, new_to) = versions
    assert old_to == new_from == event["at"] and new_to is None
    assert old_price != new_price
    changes = catalog_rows(data_dir, "select old_value, new_value from catalog_changes where entity = 'plan'"
                                     " and entity_id = ? and field = 'monthly_cost_usd'", [event["plan_id"]])
    assert [(Decimal(a), Decimal(b)) for a, b in changes] == [(old_price, new_price)]


def test_sell_out_and_restock_give_two_intervals_and_two_events(collect_at, data_dir):
    sold = first_event("sold_out")
    back = next(e for e in EVENTS if e["kind"] == "restocked" and e["at"] > sold["at"]
                and (e["region_id"], e["plan_id"]) == (sold["region_id"], sold["plan_id"]))
    for at in (sold["at"] - HOUR, sold["at"], back["at"]):
        collect_at(at)
    pair = [sold["region_id"], sold["plan_id"]]
    intervals = catalog_rows(data_dir, "select valid_from, valid_to from availability_history"
                                       " where region_id = ? and plan_id = ? order by valid_from", pair)
    assert intervals == [(sold["at"] - HOUR, sold["at"]), (back["at"], None)]
    events = catalog_rows(data_dir, "select change_type, changed_at from catalog_changes where entity ="
                                    " 'availability' and region_id = ? and entity_id = ? order by changed_at", pair)
    assert events == [("removed", sold["at"]), ("added", back["at"])]
    summary = catalog_rows(data_dir, "select in_stock_now, last_sold_out_at, last_restocked_at from stock_summary"
                                     " where region_id = ? and plan_id = ?", pair)
    assert summary == [(True, sold["at"], back["at"])]


def test_new_region(collect_at, data_dir):
    event = first_event("region_launched")
    collect_at(event["at"] - HOUR)
    assert catalog_rows(data_dir, "select count(*) from regions where region_id = ?", [event["region_id"]]) == [(0,)]
    collect_at(event["at"])
    added = catalog_rows(data_dir, "select change_type from catalog_changes where entity = 'region'"
                                   " and entity_id = ?", [event["region_id"]])
    assert added == [("added",)]
    assert catalog_rows(data_dir, "select count(*) from regions where region_id = ?", [event["region_id"]]) == [(1,)]


def test_retired_plan(collect_at, data_dir):
    event = first_event("plan_retired")
    collect_at(event["at"] - HOUR)
    collect_at(event["at"])
    assert catalog_rows(data_dir, "select count(*) from plans where plan_id = ?", [event["plan_id"]]) == [(0,)]
    closed = catalog_rows(data_dir, "select valid_to from plans_history where plan_id = ?", [event["plan_id"]])
    assert closed == [(event["at"],)]
    kinds = catalog_rows(data_dir, "select distinct entity, change_type from catalog_changes where entity_id = ?"
                                   " and entity = 'plan'", [event["plan_id"]])
    assert kinds == [("plan", "removed")]


def history_counts(data_dir):
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    try:
        return con.execute(
            "select (select count(*) from plans_history), (select count(*) from availability_history),"
            " (select count(*) from regions_history), (select count(*) from catalog_changes),"
            " (select count(*) from raw_bodies)").fetchone()
    finally:
        con.close()


def test_unchanged_recollect_adds_nothing(api, data_dir):
    settings = fast_settings(api, data_dir)  # the static emulator: nothing moves between collections
    first = collect(settings, at=T0)
    before = history_counts(data_dir)
    second = collect(settings, at=T0 + HOUR)
    assert first.is_baseline and second.change_count == 0
    assert history_counts(data_dir) == before


def test_simulated_time_cannot_go_backwards(collect_at, data_dir):
    collect_at(T0 + timedelta(days=2))
    before = catalog_path(data_dir).read_bytes()
    with pytest.raises(ConfigError, match="history only moves forward"):
        collect_at(T0 + timedelta(days=1))
    assert catalog_path(data_dir).read_bytes() == before


def test_anomalous_snapshot_is_rejected_then_accepted(collect_at, timeline_api, data_dir):
    at = T0 + timedelta(days=1)
    collect_at(at)
    before = catalog_path(data_dir).read_bytes()
    counts = history_counts(data_dir)
    timeline_api.set_fault("*", Fault("empty"))
    with pytest.raises(AnomalyError, match="availability is empty in every region"):
        collect_at(at + HOUR)
    assert catalog_path(data_dir).read_bytes() == before
    assert history_counts(data_dir)[:4] == counts[:4]
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    status, error = con.execute("select status, error from snapshots order by snapshot_id desc limit 1").fetchone()
    kept = con.execute("select count(*) from _request_runs where 2 between first_snapshot_id and last_snapshot_id").fetchone()[0]
    con.close()
    assert status == "rejected" and "plans dropped" in error and kept > 0
    collect_at(at + 2 * HOUR, accept_anomalies=True)
    assert catalog_rows(data_dir, "select count(*) from plans") == [(0,)]


def test_as_of_answers(collect_at, data_dir):
    event = first_event("price_changed")
    collect_at(event["at"] - HOUR)
    collect_at(event["at"])
    plan_id = event["plan_id"]
    with queries.catalog(data_dir) as con:
        before = con.execute("select monthly_cost_usd from plans_at(?) where plan_id = ?",
                             [event["at"] - timedelta(minutes=30), plan_id]).fetchall()
        after = con.execute("select monthly_cost_usd from plans_at(?) where plan_id = ?", [event["at"], plan_id]).fetchall()
        region = con.execute("select region_id from plan_locations where plan_id = ? limit 1", [plan_id]).fetchone()
    assert before != after and len(before) == len(after) == 1
    if region:
        with queries.catalog(data_dir) as con:
            old = queries.cheapest(con, queries.PlanFilter(region[0], in_stock_only=False,
                                                           at=event["at"] - timedelta(minutes=1)))
        assert old.loc[old.plan_id == plan_id, "monthly_cost_usd"].tolist() == [before[0][0]]


TABLES = ["plans_history", "regions_history", "operating_systems_history", "plan_locations_history",
          "availability_history", "catalog_changes"]


def table_rows(data_dir, table):
    with queries.catalog(data_dir) as con:
        return sorted(map(repr, con.execute(f"select * from {table}").fetchall()))


def test_rebuild_equals_incremental(collect_at, timeline_api, data_dir):
    times = [T0 + timedelta(hours=6 * n) for n in range(12)] + [T0 + timedelta(days=40), T0 + timedelta(days=120)]
    for at in times:
        collect_at(at)
    timeline_api.set_fault("/v2/plans", Fault("500"))
    with pytest.raises(CatalogError, match="HTTP 500"):
        collect_at(T0 + timedelta(days=121))
    timeline_api.clear_faults()
    incremental = {t: table_rows(data_dir, t) for t in TABLES}
    assert incremental["catalog_changes"], "the timeline should have produced changes"
    rawstore.clear_cache()  # decode every body from storage (zlib delta chains), not from memory
    result = rebuild(data_dir)
    assert result.snapshots == len(times)
    assert {t: table_rows(data_dir, t) for t in TABLES} == incremental
