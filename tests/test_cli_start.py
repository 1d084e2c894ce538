"""The CLI starts like a CLI: each command imports only what it needs (checked in a fresh interpreter,
since this test process has everything loaded already). Start-up times are measured by
benchmarks/bench_cli.py, not here."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline import queries
from pipeline.queries.output import render
from tests.conftest import ROOT

HEAVY = ("duckdb", "pandas", "pyarrow", "numpy", "requests", "streamlit", "apscheduler")


def loaded_after(*argv: str) -> set[str]:
    """Which heavy modules a fresh interpreter holds after running `vultr-catalog ARGV` in-process."""
    code = ("import sys\nfrom pipeline.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(__import__('json').dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy():
    assert loaded_after("--help") == set()


def test_cheapest_needs_duckdb_only(demo_dir):
    assert loaded_after("cheapest", "--region", "fra", "--data-dir", str(demo_dir)) == {"duckdb"}


def test_collect_without_alert_rules_loads_no_pandas_or_streamlit(api, data_dir):
    loaded = loaded_after("collect", "--data-dir", str(data_dir), "--base-url", f"{api.base_url}/v2",
                          "--rate-limit", "1000")
    assert (data_dir / "catalog.duckdb").exists()  # it did collect and publish
    assert {"duckdb", "requests"} <= loaded and not loaded & {"pandas", "pyarrow", "numpy", "streamlit"}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cheapest_rows_print_exactly_as_the_dataframe(demo_dir, fmt):
    plan_filter = queries.PlanFilter("fra", in_stock_only=False)
    with queries.catalog(demo_dir) as con:
        frame, rows = queries.cheapest(con, plan_filter), queries.cheapest_rows(con, plan_filter)
    assert len(rows.rows) > 5
    assert render(rows, fmt) == render(frame, fmt)
