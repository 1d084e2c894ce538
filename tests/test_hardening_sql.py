"""Hardening (issue 14): SQL with limits on every surface. `vultr-catalog sql` and the dashboard
console share one code path (queries/console.py): its sandbox, its statement check (EXPLAIN only
around a SELECT), its time, row, memory and spill limits, and its one-line messages."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pipeline.cli import commands, main
from pipeline.queries import console
from pipeline.queries.console import ConsoleError, run_console

REFUSED = [
    ("", "nothing to run"),
    ("   ", "nothing to run"),
    ("-- x", "nothing to run"),
    ("select 1; select 2", "one statement at a time"),
    ("create table t (a int)", "CREATE statements are refused"),
    ("attach ':memory:' as m", "ATTACH/DETACH is refused"),
    ("prepare p as select 1", "PREPARE statements are refused"),
    ("vacuum", "VACUUM statements are refused"),
    ("explain analyze create table t as select 1", "only around a SELECT"),
    ("-- hidden\nEXPLAIN ANALYZE load httpfs", "only around a SELECT"),
    ("explain analyze call pragma_version()", "only around a SELECT"),
    ("explain (format json) copy (select 1) to 'x.csv'", "only around a SELECT"),
    ("select * from duckdb_settings()", "duckdb_settings() is refused"),
    ("select current_setting('temp_directory')", "current_setting() is refused"),
    ('select path from "duckdb_databases"()', "duckdb_databases() is refused"),
    ("select * from query('create table t as select 1')", "query() is refused"),
    ("select getenv('HOME')", "getenv() is refused"),
    ("select path from duckdb_databases", "duckdb_databases() is refused"),
    ("select * from pragma_database_list", "pragma_database_list() is refused"),
]


@pytest.mark.parametrize("query, says", REFUSED, ids=[q or "empty" for q, _ in REFUSED])
def test_cli_sql_refuses_like_the_console_in_one_line(demo_dir, capsys, query, says):
    assert main(["sql", query, "--data-dir", str(demo_dir)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("Error: ") and says in line
    with pytest.raises(ConsoleError, match=says.replace("(", r"\(").replace(")", r"\)")):
        run_console(query, demo_dir)  # the dashboard console says the same


@pytest.mark.parametrize("query", ["explain select count(*) from plans", "EXPLAIN ANALYZE select count(*) from plans",
                                   "describe plans", "summarize select monthly_cost_usd from plans"])
def test_explain_around_a_select_and_describe_still_work(demo_dir, capsys, query):
    assert main(["sql", query, "--data-dir", str(demo_dir), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip()


def test_cli_sql_has_a_time_limit(demo_dir, capsys, monkeypatch):
    monkeypatch.setattr(commands, "SQL_TIME_LIMIT_S", 0.5)
    assert main(["sql", "select count(*) from range(1000000000000)", "--data-dir", str(demo_dir)]) == 1
    assert "time limit" in capsys.readouterr().err


def test_cli_sql_has_a_row_limit(demo_dir, capsys, monkeypatch):
    monkeypatch.setattr(commands, "SQL_ROW_LIMIT", 10)
    assert main(["sql", "select * from range(1000) t(n)", "--data-dir", str(demo_dir), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines() == ["n", *map(str, range(10))]
    assert "only the first 10 rows" in captured.err


def spill_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{console.SPILL_PREFIX}*")}


def test_spill_is_capped_private_and_removed(demo_dir, tmp_path, capsys, monkeypatch):
    """A DISTINCT past the memory limit spills into a private directory under the system temp, stops
    at the spill cap with one line, and leaves nothing behind (no `./.tmp`, no spill directory)."""
    monkeypatch.setattr(console, "CONSOLE_MEMORY_LIMIT", "64MB")
    monkeypatch.setattr(console, "CONSOLE_SPILL_LIMIT", "96MB")
    monkeypatch.chdir(tmp_path)
    before = spill_dirs()
    query = "select count(*) from (select distinct i::varchar || repeat('x', 40) from range(8000000) t(i))"
    assert main(["sql", query, "--data-dir", str(demo_dir)]) == 1
    assert "memory limit" in capsys.readouterr().err
    assert not (tmp_path / ".tmp").exists() and os.listdir(tmp_path) == []
    assert spill_dirs() - before == set()
