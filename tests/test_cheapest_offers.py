"""`cheapest` reads _offers_history, a table built at each publish: its answers must equal those of the
as-of macros (REFERENCE below) at every moment of a real history collected from the emulator around
regional price changes, sell-outs, restocks, a plan added and a region launched."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline import queries
from pipeline.collect.collector import collect
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.queries.core import OFFERS_HISTORY, arrow_table, cheapest_params, frame, to_frame
from pipeline.queries.export import public_relations
from pipeline.queries.pricing import with_hourly_estimate_rows, with_hourly_estimate_table
from pipeline.sql import create_model_table, load_sql, optional_lines
from tests.conftest import fast_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
KINDS = ("regional_price_changed", "price_changed", "sold_out", "restocked", "plan_added", "region_launched")
FILTERS = [
    queries.PlanFilter("any", in_stock_only=False),
    queries.PlanFilter("any"),
    queries.PlanFilter("sao", "vc2", in_stock_only=False),
    queries.PlanFilter("any", continent="europe", min_vcpu=2, min_ram_mb=4096,
                       max_monthly_cost_usd=Decimal("120"), in_stock_only=False),
    queries.PlanFilter("any", gpu_type="nvidia_a16", min_gpu_vram_gb=8, cpu_vendor="AMD", in_stock_only=False),
    queries.PlanFilter("ewr", min_disk_gb=50),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """Full collections at T0 and around the first event of each kind (the hour before, at it), and a
    stock poll at each sell-out or restock among them."""
    timeline = Timeline(seed=0, start_at=T0)
    events = timeline.events_between(T0, T0 + timedelta(days=90))
    chosen = [next(e for e in events if e["kind"] == kind) for kind in KINDS]
    data_dir = tmp_path_factory.mktemp("offers") / "data"
    with FakeVultr(timeline=timeline, rate_limit=False).start() as api:
        settings = fast_settings(api, data_dir)
        full = sorted({T0, *(e["at"] - HOUR for e in chosen), *(e["at"] for e in chosen)})
        stock = {e["at"] + 17 * 60 * SECOND for e in chosen if e["kind"] in ("sold_out", "restocked")}
        for at in sorted(full + sorted(stock)):
            collect(settings, at=at, kind="stock" if at in stock else "full")
    return data_dir


# cheapest's answer as of $ts from the catalog's as-of macros (plans_at, regions_at, plan_locations_at,
# availability_at) and the rules (pipeline/rules.sql): what _offers_history and cheapest.sql must equal
REFERENCE = """
with candidates as (
    -- every pair offered or in stock, once
    select region_id, plan_id, s.plan_id is not null as is_in_stock
    from plan_locations_at(cast($ts as timestamptz)) l
    full join availability_at(cast($ts as timestamptz)) s using (region_id, plan_id)
),
overrides as (
    select * from plan_prices_history where is_valid_at(valid_from, valid_to, cast($ts as timestamptz))
),
answers as (
    select
        c.*, r.city, r.country, r.continent, o.plan_id is not null as is_regional_price,
        p.* exclude (plan_id, monthly_cost_usd, hourly_cost_usd, monthly_cost_preemptible_usd,
                     hourly_cost_preemptible_usd),
        p.monthly_cost_usd as base_monthly_cost_usd,
        regional_cost(o.monthly_cost_usd, p.monthly_cost_usd, o.monthly_cost_usd) as monthly_cost_usd,
        regional_cost(o.hourly_cost_usd, p.hourly_cost_usd, o.monthly_cost_usd) as hourly_cost_usd,
        regional_cost(o.monthly_cost_preemptible_usd, p.monthly_cost_preemptible_usd, o.monthly_cost_usd)
            as monthly_cost_preemptible_usd,
        regional_cost(o.hourly_cost_preemptible_usd, p.hourly_cost_preemptible_usd, o.monthly_cost_usd)
            as hourly_cost_preemptible_usd
    from candidates c
    join plans_at(cast($ts as timestamptz)) p using (plan_id)
    join regions_at(cast($ts as timestamptz)) r using (region_id)
    left join overrides o using (plan_id, region_id)
    where is_on_demand(p.is_deployable_ondemand, p.is_for_sale)
)
select
    *,
    cast(monthly_cost_usd * 1024 / nullif(ram_mb, 0) as decimal(18, 4)) as monthly_cost_per_gb_ram_usd,
    cast(monthly_cost_usd / nullif(vcpu_count, 0) as decimal(18, 4)) as monthly_cost_per_vcpu_usd
from answers
where (cast($region_id as varchar) is null or region_id = $region_id)
  and (cast($continent as varchar) is null or lower(continent) = lower($continent))
  and (cast($plan_type as varchar) is null or is_of_type(plan_type, $plan_type))
  and vcpu_count >= $min_vcpu and ram_mb >= $min_ram_mb and coalesce(disk_gb, 0) >= $min_disk_gb
  and (cast($max_monthly_cost_usd as decimal(18, 6)) is null or monthly_cost_usd <= $max_monthly_cost_usd)
  and (is_in_stock or not $in_stock_only)
  and (cast($gpu_type as varchar) is null or lower(gpu_type) = lower($gpu_type))
  and (cast($min_gpu_vram_gb as integer) is null or gpu_vram_gb >= $min_gpu_vram_gb)
  and (cast($cpu_vendor as varchar) is null or lower(cpu_vendor) = lower($cpu_vendor))
  and (cast($cpu_allocation as varchar) is null or cpu_allocation = $cpu_allocation)
order by monthly_cost_usd, vcpu_count desc, ram_mb desc, plan_id, region_id
"""


def moments(con) -> list[datetime]:
    """Every moment something changed, a second before it, and a moment long after the last one."""
    edges = [r[0] for r in con.execute(
        "select distinct t from (select unnest([valid_from, valid_to]) as t from plans_history union all "
        "select unnest([valid_from, valid_to]) from regions_history union all "
        "select unnest([valid_from, valid_to]) from plan_locations_history union all "
        "select unnest([valid_from, valid_to]) from availability_history union all "
        "select unnest([valid_from, valid_to]) from plan_prices_history) where t is not null order by t").fetchall()]
    return sorted({*edges, *(t - SECOND for t in edges), edges[-1] + timedelta(days=400)})


def both(con, f: queries.PlanFilter) -> tuple:
    params = cheapest_params(f)
    new = frame(con, *optional_lines(load_sql("queries/sql/cheapest.sql"), params))
    return new, frame(con, REFERENCE, params)[list(new.columns)]


def assert_same_answers(con, every: int | None = 4) -> list:
    """The broadest question (any region, sold-out too) at every moment; each narrower one at every
    `every`-th moment (their filters read no history of their own; None: never). Each finds rows."""
    answers, asked, found = [], set(), set()
    for index, at in enumerate(moments(con)):
        for number, f in enumerate(FILTERS if every and index % every == 0 else FILTERS[:1]):
            new, reference = both(con, queries.PlanFilter(**{**f.__dict__, "at": at}))
            assert new.dtypes.equals(reference.dtypes), (at, f)
            assert new.equals(reference), (at, f)
            answers.append(new)
            asked.add(number)
            found |= {number} if len(new) else set()
    assert found == asked
    return answers


def test_cheapest_equals_the_reference_at_every_moment(history):
    with queries.catalog(history) as con:
        answers = assert_same_answers(con)
        preemptible_only = {r[0] for r in con.execute(
            "select plan_id from plans_history where not is_deployable_ondemand").fetchall()}
        regional = con.execute("select count(distinct (plan_id, region_id, monthly_cost_usd)) - "
                               "count(distinct (plan_id, region_id)) from plan_prices_history").fetchall()[0][0]
    rows = [row for answer in answers for row in answer.itertuples()]
    # the history holds what the two must agree on: overrides that changed, sold-out pairs, pairs
    # that sold out or came back, plans that exist only preemptible
    assert regional > 0 and any(r.is_regional_price for r in rows)
    assert any(not r.is_in_stock for r in rows) and any(r.is_in_stock for r in rows)
    stock_by_pair = {}
    for r in rows:
        stock_by_pair.setdefault((r.plan_id, r.region_id), set()).add(r.is_in_stock)
    assert any(len(states) == 2 for states in stock_by_pair.values())
    assert preemptible_only and not preemptible_only & {r.plan_id for r in rows}


def test_edits_the_emulator_never_makes_answer_like_the_reference(history, tmp_path):
    """Made in a copy of the published catalog, whose _offers_history is then built again: a pair in stock
    that its plan's locations do not name (the reference's full join keeps it), a region renamed
    late in the history, a plan no longer offered in that region from its middle on (elsewhere unchanged)."""
    copy = tmp_path / "data"
    shutil.copytree(history, copy)
    con = duckdb.connect(str(copy / "catalog.duckdb"))
    try:
        middle, late = con.execute("select min(started_at) + (max(started_at) - min(started_at)) * f from"
                                   " snapshots, unnest([0.5, 0.75]) as t(f) group by f order by f").fetchall()
        middle, late = middle[0], late[0]
        unlisted = con.execute("select plan_id, region_id from availability_history where valid_to is null"
                               " order by plan_id, region_id limit 1").fetchall()[0]
        ended = con.execute("select plan_id, region_id from plan_locations_history where valid_to is null and"
                            " valid_from < ? except select plan_id, region_id from availability_history"
                            " where valid_to is null order by all limit 1", [middle]).fetchall()[0]  # sold out
        con.execute("delete from plan_locations_history where plan_id = ? and region_id = ?", list(unlisted))
        con.execute("update plan_locations_history set valid_to = ? where plan_id = ? and region_id = ?"
                    " and valid_to is null", [middle, *ended])
        con.execute("insert into regions_history by name select * replace ('Renamed' as city, ? as valid_from)"
                    " from regions_history where region_id = ? and valid_to is null", [late, ended[1]])
        con.execute("update regions_history set valid_to = ? where region_id = ? and valid_to is null"
                    " and city <> 'Renamed'", [late, ended[1]])
        create_model_table(con, OFFERS_HISTORY)
    finally:
        con.close()
    with queries.catalog(copy) as con:
        answers = assert_same_answers(con, every=None)
    rows = [row for answer in answers for row in answer.itertuples()]
    assert any((r.plan_id, r.region_id) == unlisted for r in rows)
    assert {"Renamed"} < {r.city for r in rows if r.region_id == ended[1]}
    # no longer offered there from the middle on: a candidate only while in stock
    assert not any((r.plan_id, r.region_id) == ended and r.city == "Renamed" and not r.is_in_stock for r in rows)


def test_a_catalog_published_before_offers_history_and_the_rules_answers_the_same(history, tmp_path):
    """Such a catalog has neither _offers_history nor the rules' macros: the reader defines the macros
    and builds the table on its own connection, and the file stays as it was."""
    copy = tmp_path / "data"
    shutil.copytree(history, copy)
    con = duckdb.connect(str(copy / "catalog.duckdb"))
    try:
        con.execute("drop table _offers_history")
        for name in ("is_valid_at", "is_on_demand", "regional_cost", "is_of_type"):
            con.execute(f"drop macro {name}")
    finally:
        con.close()
    before = (copy / "catalog.duckdb").read_bytes()
    for f in FILTERS:
        with queries.catalog(history) as new, queries.catalog(copy) as old:
            assert queries.cheapest(new, f).equals(queries.cheapest(old, f))
            assert queries.cheapest_rows(new, f) == queries.cheapest_rows(old, f)
            assert queries.cheapest_per_region(new).equals(queries.cheapest_per_region(old))
    assert (copy / "catalog.duckdb").read_bytes() == before


def test_offers_history_is_private(history):
    with queries.catalog(history) as con:
        exported = {name for name, _ in public_relations(con)}
        assert "_offers_history" not in exported and "plans_history" in exported
    assert "_offers_history" not in set(queries.public_columns(history)["table_name"])


def test_optional_lines_leave_out_only_the_filters_that_do_not_apply():
    sql = "select * from t\nwhere a >= $low\n  and b = $b  -- if b\n  and c  -- if c\n  and d = $d  -- if d"
    text, params = optional_lines(sql, {"low": 0, "b": None, "c": False, "d": 0})
    assert text == "select * from t\nwhere a >= $low\n  and d = $d  -- if d"
    assert params == {"low": 0, "d": 0}  # 0 is a value (min 0 still drops NULLs), None and False are not


def test_the_hourly_estimate_is_the_same_in_the_frame_and_the_cli_rows(history):
    """Where the API gives no hourly price (v1; here made so on every other row), the estimate is
    monthly / 672 to 4 places, right after hourly_cost_usd, in both the DataFrame and the CLI's rows."""
    with queries.catalog(history) as con:
        params = cheapest_params(queries.PlanFilter("any", in_stock_only=False))
        table = arrow_table(con, *optional_lines(load_sql("queries/sql/cheapest.sql"), params))
    hourly = table.column_names.index("hourly_cost_usd")
    values = [None if i % 2 else v for i, v in enumerate(table["hourly_cost_usd"].to_pylist())]
    table = table.set_column(hourly, "hourly_cost_usd", pa.array(values, table.schema.field(hourly).type))
    result = to_frame(with_hourly_estimate_table(table))
    columns, rows = with_hourly_estimate_rows(table.column_names, [tuple(r.values()) for r in table.to_pylist()])
    assert list(result.columns) == columns and columns[hourly + 1] == "estimated_hourly_cost_usd"
    assert result["estimated_hourly_cost_usd"].dtype == object
    estimates = result["estimated_hourly_cost_usd"].tolist()
    assert estimates == [row[hourly + 1] for row in rows]
    assert all(e is None for e in estimates[::2]) and all(isinstance(e, Decimal) for e in estimates[1::2])
    assert [str(e) for e in estimates[1::2]] == [str(row[hourly + 1]) for row in rows[1::2]]
    first = result.iloc[1]
    assert first["estimated_hourly_cost_usd"] == (first["monthly_cost_usd"] / 672).quantize(Decimal("0.0001"), ROUND_HALF_UP)
