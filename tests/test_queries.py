"""pipeline.queries (catalog + history families) against real published catalogs: the session demo
history, and a four-snapshot history collected around a known emulator price change."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipeline import queries
from pipeline.collect.collector import collect
from pipeline.errors import HistoryRangeError, UnknownChoiceError, UnknownRegionError
from pipeline.fakeapi import FakeVultr, Timeline
from tests.conftest import fast_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def one(con, sql: str, params: list | None = None) -> tuple:
    """The first row, draining the result (DuckDB 2 refuses new work while a result is unfinished)."""
    return con.execute(sql, params or []).fetchall()[0]


@pytest.fixture
def con(demo_dir: Path):
    with queries.catalog(demo_dir) as connection:
        yield connection


@pytest.fixture(scope="module")
def priced(tmp_path_factory) -> tuple[Path, dict]:
    """A history with one real price change: snapshots at T0, just before, at and after the event."""
    timeline = Timeline(seed=0, start_at=T0)
    event = next(e for e in timeline.events_between(T0, T0 + timedelta(days=60)) if e["kind"] == "price_changed")
    data_dir = tmp_path_factory.mktemp("priced") / "data"
    with FakeVultr(timeline=timeline, rate_limit=False).start() as api:
        settings = fast_settings(api, data_dir)
        for at in (T0, event["at"] - HOUR, event["at"], event["at"] + HOUR):
            collect(settings, at=at)
    return data_dir, event


def test_catalog_is_still_the_context_manager():
    assert callable(queries.catalog) and not hasattr(queries.catalog, "plans")


def test_plans_now_match_the_view_and_money_is_exact(con):
    frame = queries.plans(con)
    assert len(frame) == one(con, "select count(*) from plans")[0] > 0
    assert all(isinstance(v, Decimal) for v in frame["monthly_cost_usd"])
    assert list(frame["monthly_cost_usd"]) == sorted(frame["monthly_cost_usd"])
    vhf = queries.plans(con, plan_type="vhf")
    assert 0 < len(vhf) < len(frame) and set(vhf["plan_type"]) == {"vhf"}


def test_plans_as_of_before_history_is_empty_and_at_start_is_full(con):
    fresh = queries.freshness(con)
    assert queries.plans(con, at=fresh["first_at"] - HOUR).empty
    assert len(queries.plans(con, at=fresh["first_at"])) > 0
    middle = fresh["first_at"] + (fresh["last_ok_at"] - fresh["first_at"]) / 2
    as_of = queries.plans(con, at=middle)
    expected = {r[0] for r in con.execute("select plan_id from plans_at(?)", [middle]).fetchall()}
    assert set(as_of["plan_id"]) == expected


def test_regions_and_operating_systems(con):
    regions = queries.regions(con)
    assert list(regions["region_id"]) == sorted(regions["region_id"]) and "fra" in set(regions["region_id"])
    systems = queries.operating_systems(con)
    assert len(systems) == one(con, "select count(*) from operating_systems")[0] > 0


def test_availability_matrix_covers_every_pair_with_consistent_status(con):
    matrix = queries.availability_matrix(con, plan_type="vc2")
    regions = one(con, "select count(*) from regions")[0]
    plans = one(con, "select count(*) from plans where plan_type = 'vc2'")[0]
    assert len(matrix) == regions * plans
    assert set(matrix["status"]) <= set(queries.STOCK_STATUSES)
    in_stock = set(con.execute("select region_id, plan_id from availability").fetchall())
    offered = set(con.execute("select region_id, plan_id from plan_locations").fetchall())
    for row in matrix.itertuples():
        pair = (row.region_id, row.plan_id)
        expected = "in_stock" if pair in in_stock else "sold_out" if pair in offered else "not_offered"
        assert row.status == expected, pair
    assert "sold_out" in set(queries.availability_matrix(con)["status"])


def test_cheapest_per_region_agrees_with_cheapest(con):
    per_region = queries.cheapest_per_region(con, plan_type="vhf")
    assert not per_region.empty
    for row in per_region.head(5).itertuples():
        best = queries.cheapest(con, queries.PlanFilter(region_id=row.region_id, plan_type="vhf"))
        assert best.iloc[0]["monthly_cost_usd"] == row.monthly_cost_usd


BEFORE = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"region_id": "atlantis"}, UnknownRegionError, "unknown region 'atlantis'; regions: "),
    ({"region_id": "any", "continent": "Atlantis"}, UnknownRegionError, "unknown continent 'Atlantis'; continents: "),
    ({"region_id": "fra", "plan_type": "vhff"}, UnknownChoiceError, "unknown plan type 'vhff'; types: "),
    ({"region_id": "fra", "at": BEFORE}, HistoryRangeError, "no history at 2020-01-01 00:00:00Z"),
    ({"region_id": "any", "at": BEFORE}, HistoryRangeError, "no history at 2020-01-01 00:00:00Z"),
])
def test_cheapest_names_what_is_unknown(con, kwargs, error, message):
    # the checks run only once the query found nothing: they must still name the same thing
    for read in (queries.cheapest, queries.cheapest_rows):
        with pytest.raises(error) as raised:
            read(con, queries.PlanFilter(**kwargs))
        assert str(raised.value).startswith(message)


def test_cheapest_with_nothing_that_fits_is_empty_not_an_error(con):
    nothing = queries.PlanFilter("fra", "vhf", max_monthly_cost_usd=Decimal("0.01"))
    assert queries.cheapest(con, nothing).empty and queries.cheapest_rows(con, nothing).rows == []


def test_snapshots_newest_first_and_limited(con):
    frame = queries.snapshots(con, limit=5)
    assert len(frame) == 5
    assert list(frame["started_at"]) == sorted(frame["started_at"], reverse=True)


def test_freshness_reports_the_demo_history(con):
    fresh = queries.freshness(con)
    last = one(con, "select snapshot_id, started_at from snapshots order by started_at desc limit 1")
    assert fresh["last_ok_snapshot_id"] == last[0] and fresh["last_ok_at"] == last[1]
    assert fresh["snapshot_count"] == 49 and fresh["is_demo"] is True
    assert fresh["first_at"] == fresh["last_ok_at"] - timedelta(days=2)
    assert fresh["age_s"] >= 0


def test_price_history_one_row_per_price_version(priced):
    data_dir, event = priced
    with queries.catalog(data_dir) as con:
        frame = queries.price_history(con, event["plan_id"])
        unchanged = queries.price_history(con, "vc2-2c-4gb")
    assert len(frame) == 2
    old, new = frame.iloc[0], frame.iloc[1]
    assert old["monthly_cost_usd"] == Decimal(str(event["detail"]["old_monthly_cost"]))
    assert new["monthly_cost_usd"] == Decimal(str(event["detail"]["new_monthly_cost"]))
    assert old["valid_to"] == new["valid_from"] == event["at"]
    assert pd.isna(new["valid_to"])
    assert len(unchanged) == 1


def test_changes_filters_and_order(priced):
    data_dir, event = priced
    with queries.catalog(data_dir) as con:
        plan_changes = queries.changes(con, entity="plan")
        window = queries.changes(con, since=event["at"], until=event["at"] + HOUR)
        later = queries.changes(con, since=event["at"] + HOUR)
        limited = queries.changes(con, limit=1)
    price = plan_changes[(plan_changes["entity_id"] == event["plan_id"]) & (plan_changes["field"] == "monthly_cost_usd")]
    assert len(price) == 1 and price.iloc[0]["changed_at"] == event["at"]
    assert set(window["changed_at"]) <= {event["at"]} and len(window) >= 1
    assert set(later["changed_at"]) <= {event["at"] + HOUR}
    assert len(limited) == 1


def test_changes_by_region_on_demo(con):
    everything = queries.changes(con)
    assert list(everything["changed_at"]) == sorted(everything["changed_at"], reverse=True)
    region = everything.iloc[0]["region_id"]
    only = queries.changes(con, entity="availability", region_id=region)
    assert len(only) == (everything["region_id"] == region).sum() and set(only["region_id"]) == {region}


def test_stock_history_intervals_match_the_history_table(con):
    plan_id, region_id = one(con, "select plan_id, region_id from availability_history group by all "
                                  "order by count(*) desc, plan_id, region_id limit 1")
    everywhere = queries.stock_history(con, plan_id)
    here = queries.stock_history(con, plan_id, region_id=region_id)
    assert set(everywhere["plan_id"]) == {plan_id} and set(here["region_id"]) == {region_id}
    expected = one(con, "select count(*) from availability_history where plan_id = ? and region_id = ?",
                   [plan_id, region_id])[0]
    assert len(here) == expected and len(everywhere) >= len(here)
    assert list(here["valid_from"]) == sorted(here["valid_from"])


def test_stock_summary_filters(con):
    summary = queries.stock_summary(con)
    fra = queries.stock_summary(con, region_id="fra")
    assert list(summary.columns) == ["region_id", "plan_id", "in_stock_now", "first_seen_at", "last_seen_at",
                                     "in_stock_ratio_30d", "last_restocked_at", "last_sold_out_at"]
    assert set(fra["region_id"]) == {"fra"} and len(fra) == (summary["region_id"] == "fra").sum() > 0
    one = queries.stock_summary(con, region_id="fra", plan_id=fra.iloc[0]["plan_id"])
    assert len(one) == 1
    now = set(con.execute("select region_id, plan_id from availability").fetchall())
    assert {(r.region_id, r.plan_id) for r in summary.itertuples() if r.in_stock_now} == now
