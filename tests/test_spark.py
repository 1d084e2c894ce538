"""Apache Spark (local mode) reads `vultr-catalog export` as it is: the Spark snippet of docs/export.md, run as
is, answers three questions exactly as DuckDB does on the same files (exact decimals included).

One SparkSession per test run (session-scoped fixture); it needs a Java runtime (`.ci/run` installs
Debian's when `java` is missing) and PyPI pyspark (a dev dependency)."""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.queries.export import export_catalog
from tests.conftest import ROOT

# pyspark 4.x warns that it was not tested with pandas 3; the snippet never converts to pandas.
# One xdist group: these tests run on one worker, so one JVM serves the whole run.
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
              pytest.mark.xdist_group("spark")]
SNIPPET = re.compile(r"<!-- spark-snippet[^>]*-->\s*```python\n(.*?)```", re.S)


@pytest.fixture(scope="session")
def spark_home(tmp_path_factory) -> Path:
    """The Spark driver's working directory: the snippet's relative `export` path resolves here."""
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="session")
def spark(spark_home):
    from pyspark.sql import SparkSession

    cwd = os.getcwd()
    os.chdir(spark_home)  # the JVM starts here and keeps this directory (Python's chdir later is not seen)
    try:
        session = (SparkSession.builder.master("local[1]").appName("vultr-catalog-tests")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "1")
                   .config("spark.sql.session.timeZone", "UTC")
                   .getOrCreate())
    finally:
        os.chdir(cwd)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def export_dir(demo_dir, spark_home) -> Path:
    out = spark_home / "export"
    export_catalog(out, "parquet", data_dir=demo_dir)
    return out


def readme_snippet() -> str:
    found = SNIPPET.search((ROOT / "docs" / "export.md").read_text(encoding="utf-8"))
    assert found, "docs/export.md lost its spark-snippet block"
    return found.group(1)


@pytest.fixture(scope="session")
def answers(spark, export_dir) -> dict:
    """Run the page's block as is (the driver runs in the directory that holds `export/`)."""
    namespace: dict = {}
    exec(compile(readme_snippet(), "docs/export.md:spark-snippet", "exec"), namespace)
    assert namespace["spark"] is spark  # getOrCreate() found the running session
    return namespace


def test_spark_tests_share_one_worker(request):
    """Under `make test` (xdist, --dist loadgroup) these tests carry the tag that keeps them, and so the
    one SparkSession, on one worker (tests/conftest.py restores it on pytest 9.2)."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@spark"), request.node.nodeid


def duck(export_dir: Path, query: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect()
    try:
        for view in ("plans", "availability"):
            con.execute(f"create view {view} as select * from read_parquet('{export_dir}/{view}.parquet')")
        for table in ("snapshots", "plans_history", "availability_history"):
            con.execute(f"create view {table} as select * from"
                        f" read_parquet('{export_dir}/{table}/*/*.parquet', hive_partitioning = true)")
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


def utc(value: datetime | None) -> datetime | None:
    """PySpark hands back naive local datetimes; DuckDB aware ones: compare instants."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else datetime.fromtimestamp(value.timestamp(), UTC)


def test_cheapest_per_region_and_type_matches_duckdb(answers, export_dir):
    spark_rows = sorted(tuple(r) for r in answers["cheapest"].collect())
    duck_rows = duck(export_dir, """
        select region_id, plan_type, plan_id, monthly_cost_usd from (
            select a.region_id, p.plan_type, p.plan_id, p.monthly_cost_usd,
                   row_number() over (partition by a.region_id, p.plan_type
                                      order by p.monthly_cost_usd, p.vcpu_count desc, p.ram_mb desc, p.plan_id) as rank
            from availability a join plans p on p.plan_id = a.plan_id)
        where rank = 1 order by all""")
    assert len(spark_rows) > 10
    assert spark_rows == duck_rows  # Decimal('5.000000') == Decimal('5.000000'): exact money, no floats


def test_in_stock_ratio_of_one_pair_matches_duckdb(answers, export_dir):
    (spark_row,) = answers["in_stock_ratio"].collect()
    duck_row = duck(export_dir, """
        with applied as (select started_at from snapshots where status = 'ok'),
        seen as (
            select count(*) as in_stock_snapshots from applied s join availability_history h
              on h.region_id = $region and h.plan_id = $plan
             and s.started_at >= h.valid_from and (h.valid_to is null or s.started_at < h.valid_to))
        select in_stock_snapshots, (select count(*) from applied) as snapshots,
               cast(in_stock_snapshots / (select count(*) from applied) as decimal(7, 6)) as in_stock_ratio
        from seen""", {"region": answers["region"], "plan": answers["plan"]})[0]
    assert tuple(spark_row) == duck_row
    assert duck_row[1] > 0 and 0 < duck_row[0] <= duck_row[1]


def test_price_history_of_one_plan_matches_duckdb(answers, export_dir):
    spark_rows = [(utc(a), utc(b), m, h) for a, b, m, h in answers["price_history"].collect()]
    duck_rows = [(utc(a), utc(b), m, h) for a, b, m, h in duck(export_dir, """
        select valid_from, valid_to, monthly_cost_usd, hourly_cost_usd from plans_history
        where plan_id = $plan order by valid_from""", {"plan": answers["plan"]})]
    assert spark_rows and spark_rows == duck_rows
