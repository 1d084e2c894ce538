"""The business rules are DuckDB macros written once, in pipeline/rules.sql: what each answers, that no
other file spells one out again, and that every reader prices a pair the same way."""
from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import queries
from pipeline.queries.core import OFFERS_HISTORY
from pipeline.queries.fleet import fleet_costs
from pipeline.sql import ROOT, RULES, create_model_table, define_rules

REPO = ROOT.parent
# Each rule's raw expression, however it is spaced or its columns qualified
RAW_RULES = {
    "as-of (is_valid_at)": re.compile(r"valid_to\s+is\s+null\s+or\s+[\w.]*valid_to\s*>(?!=)", re.I),
    "on demand (is_on_demand)": re.compile(
        r"coalesce\(\s*[\w.]*(?:is_deployable_ondemand|is_for_sale)\s*,\s*true\s*\)", re.I),
    "type or family (is_of_type)": re.compile(r"starts_with\(\s*[\w.]*plan_type\s*,", re.I),
    "cpu allocation (cpu_allocation)": re.compile(r"in\s*\(\s*'vc2'\s*,", re.I),
    "regional price (regional_cost)": re.compile(
        r"coalesce\(\s*[\w.]*monthly_cost_usd\s*,\s*[\w.]*monthly_cost_usd\s*\)"
        r"|when\s+[\w.]*monthly_cost_usd\s+is\s+null\s+then", re.I),
}


def source_files() -> list[Path]:
    """Every file of the library, the dashboard, the notebooks and the benchmarks that could hold SQL."""
    folders = [REPO / "pipeline", REPO / "app", REPO / "notebooks", REPO / "benchmarks"]
    return sorted(p for folder in folders for p in folder.rglob("*")
                  if p.suffix in (".sql", ".py", ".ipynb") and p != ROOT / RULES)


def test_the_rules_file_spells_out_each_rule():
    text = (ROOT / RULES).read_text(encoding="utf-8")
    assert all(pattern.search(text) for pattern in RAW_RULES.values())


def test_no_rule_is_spelled_out_outside_the_rules_file():
    found = [f"{path.relative_to(REPO)}:{text.count(chr(10), 0, match.start()) + 1}: {rule}"
             for path in source_files() for text in [path.read_text(encoding="utf-8")]
             for rule, pattern in RAW_RULES.items() for match in pattern.finditer(text)]
    assert not found, "a rule written out again (call its macro in pipeline/rules.sql):\n" + "\n".join(found)


@pytest.fixture
def rules() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    define_rules(con, temporary=True)
    yield con
    con.close()


def test_regional_cost_is_the_override_else_the_base_never_the_base_beside_an_override(rules):
    rows = rules.execute(
        "select regional_cost(cast(r as decimal(18, 6)), cast(b as decimal(18, 6)), cast(m as decimal(18, 6)))"
        " from (values (7.5, 5, 7.5), (null, 5, null), (null, 0.007, 7.5), (0.01, 0.007, 7.5)) t(r, b, m)"
    ).fetchall()
    assert [r[0] for r in rows] == [Decimal("7.5"), Decimal("5"), None, Decimal("0.01")]


def test_is_valid_at_holds_from_valid_from_until_before_valid_to(rules):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    t1 = t0 + timedelta(hours=1)
    cases = [(t0, t1, t0, True), (t0, t1, t1, False), (t0, t1, t0 - timedelta(seconds=1), False),
             (t0, None, t1 + timedelta(days=400), True)]
    for valid_from, valid_to, ts, expected in cases:
        got = rules.execute("select is_valid_at(cast(? as timestamptz), cast(? as timestamptz), cast(? as timestamptz))",
                            [valid_from, valid_to, ts]).fetchall()[0][0]
        assert got is expected, (valid_from, valid_to, ts)


def test_is_on_demand_unless_the_api_says_not(rules):
    assert rules.execute("select is_on_demand(true, true), is_on_demand(false, null), is_on_demand(null, false),"
                         " is_on_demand(null, null)").fetchall() == [(True, False, False, True)]


def test_a_pair_in_stock_but_not_offered_costs_its_override_everywhere(demo_dir: Path, tmp_path: Path):
    """The disagreement that was: `cheapest_per_region` and `fleet`'s current price gave such a pair the
    base price (they read plan_prices, offered pairs only), `cheapest` and `fleet`'s price at creation the
    override. The override is right: location_cost is the region's price list, whatever the plan's
    locations say; so the pair keeps its override in all of them."""
    copy = tmp_path / "data"
    shutil.copytree(demo_dir, copy, ignore=shutil.ignore_patterns("*.lock"))
    with queries.catalog(copy) as con:  # a region's cheapest plan of a type, at an override
        per_region = pd.concat([queries.cheapest_per_region(con, t) for t in queries.plan_types(con)])
    regional = per_region[per_region["is_regional_price"]].iloc[0]
    pair = [regional["plan_id"], regional["region_id"]]
    con = duckdb.connect(str(copy / "catalog.duckdb"))
    try:  # the plan's locations stop naming the region; it stays in stock there with its override
        base = con.execute("select monthly_cost_usd from plans where plan_id = ?", pair[:1]).fetchall()[0][0]
        assert con.execute("delete from plan_locations_history where plan_id = ? and region_id = ?"
                           " and valid_to is null returning 1", pair).fetchall()
        create_model_table(con, OFFERS_HISTORY)
    finally:
        con.close()
    assert base != regional["monthly_cost_usd"]
    server = {"server_id": "s1", "label": "web", "region_id": pair[1], "plan_id": pair[0],
              "vcpu_count": int(regional["vcpu_count"]), "ram_mb": int(regional["ram_mb"]),
              "disk_gb": int(regional["disk_gb"]), "is_bare_metal": False,
              "created_at": datetime(2020, 1, 1, tzinfo=UTC)}
    with queries.catalog(copy) as con:
        assert not queries.frame(con, "select * from plan_prices where plan_id = ? and region_id = ?", pair).shape[0]
        after = queries.cheapest_per_region(con, regional["plan_type"])
        found = queries.cheapest(con, queries.PlanFilter(pair[1], regional["plan_type"]))
        fleet = fleet_costs(con, [server]).iloc[0]
    row = after[after["region_id"] == pair[1]].iloc[0]
    assert (row["plan_id"], row["monthly_cost_usd"], row["is_regional_price"]) == (
        pair[0], regional["monthly_cost_usd"], True)
    offer = found[found["plan_id"] == pair[0]].iloc[0]
    assert (offer["monthly_cost_usd"], offer["is_regional_price"]) == (regional["monthly_cost_usd"], True)
    assert (fleet["monthly_cost_usd"], fleet["is_regional_price"]) == (regional["monthly_cost_usd"], True)
