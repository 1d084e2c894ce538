"""The SQL console's sandbox: it reaches the published catalog and nothing else, with row and time limits."""
from __future__ import annotations

import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline import queries
from pipeline.errors import NoCatalogError
from pipeline.queries.console import ConsoleError, open_console, public_columns, run_console


def refused(query: str, data_dir: Path) -> str:
    with pytest.raises(ConsoleError) as info:
        run_console(query, data_dir)
    return str(info.value)


def test_select_returns_exact_money_and_reports_time(demo_dir):
    result = run_console("select plan_id, monthly_cost_usd from plans order by plan_id", demo_dir)
    assert len(result.frame) > 10 and not result.is_truncated
    assert isinstance(result.frame["monthly_cost_usd"].iloc[0], Decimal)
    assert result.elapsed_s > 0


@pytest.mark.parametrize("query", ["with t as (select 1 as x) select * from t", "describe plans",
                                   "summarize plans", "explain select * from plans", "from regions"])
def test_read_only_statement_kinds_work(demo_dir, query):
    assert len(run_console(query, demo_dir).frame) >= 1


def test_row_limit_keeps_the_first_rows_and_says_so(demo_dir):
    result = run_console("select * from range(5000) t(n)", demo_dir, row_limit=100)
    assert result.frame["n"].tolist() == list(range(100))
    assert result.is_truncated


def test_time_limit_interrupts_a_long_query(demo_dir):
    started = time.perf_counter()
    with pytest.raises(ConsoleError, match="time limit"):
        run_console("select count(*) from range(1000000000000)", demo_dir, time_limit_s=0.5)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("query", [
    "select * from read_text('/etc/passwd')",
    "select * from read_csv('/etc/hosts')",
    "select * from read_blob('/etc/hostname')",
    "select count(*) from glob('/etc/*')",
])
def test_reading_files_is_refused(demo_dir, query):
    assert "reading or writing files is disabled" in refused(query, demo_dir)


def test_bare_file_path_is_not_read(demo_dir):
    message = refused("select * from '/etc/passwd'", demo_dir)
    assert "root:" not in message


@pytest.mark.parametrize("query", ["copy (select 1) to '{out}'", "copy plans to '{out}' (format parquet)",
                                   "export database '{dir}'"])
def test_writing_files_is_refused(demo_dir, tmp_path, query):
    out = tmp_path / "out.csv"
    message = refused(query.format(out=out, dir=tmp_path / "export"), demo_dir)
    assert "never writes files" in message
    assert not out.exists() and not (tmp_path / "export").exists()


@pytest.mark.parametrize("query", ["attach '{db}' as other", "attach ':memory:' as other", "detach catalog"])
def test_attach_and_detach_are_refused(demo_dir, tmp_path, query):
    message = refused(query.format(db=tmp_path / "other.duckdb"), demo_dir)
    assert "ATTACH/DETACH is refused" in message
    assert not (tmp_path / "other.duckdb").exists()


@pytest.mark.parametrize("query", ["install httpfs", "load httpfs", "force install json"])
def test_install_and_load_are_refused(demo_dir, query):
    assert "INSTALL/LOAD is refused" in refused(query, demo_dir)


@pytest.mark.parametrize("query, kind", [
    ("create table t (a int)", "CREATE"), ("create view v as select 1", "CREATE"),
    ("create temp table t as select 1", "CREATE"), ("create macro m() as 1", "CREATE"),
    ("drop view plans", "DROP"), ("alter view plans rename to p", "ALTER"),
    ("insert into snapshots select * from snapshots", "INSERT"), ("update snapshots set status = 'x'", "UPDATE"),
    ("delete from snapshots", "DELETE"), ("set enable_external_access = true", "SET"),
    ("use memory", "SET"), ("pragma version", "PRAGMA"), ("checkpoint", "CALL"), ("begin", "TRANSACTION"),
])
def test_ddl_dml_and_settings_are_refused(demo_dir, query, kind):
    message = refused(query, demo_dir)
    assert message.startswith(f"{kind} statements are refused: the console is read-only")


def test_several_statements_and_empty_input_are_refused(demo_dir):
    assert "one statement at a time" in refused("select 1; select 2", demo_dir)
    assert "nothing to run" in refused("  -- just a comment", demo_dir)
    assert "syntax error" in refused("selec 1", demo_dir)


def test_the_sandbox_itself_blocks_files_even_without_the_statement_check(demo_dir, tmp_path):
    out = tmp_path / "x.csv"
    con = open_console(demo_dir)
    try:
        with pytest.raises(duckdb.PermissionException):
            con.execute("select * from read_text('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1) to '{out}'")
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table catalog.t (a int)")
    finally:
        con.close()
    assert not out.exists()


def test_sandbox_settings_do_not_leak_into_other_readers(demo_dir):
    with queries.catalog(demo_dir) as reader:
        console = open_console(demo_dir)
        try:
            setting = "select current_setting('enable_external_access')"
            assert console.execute(setting).fetchone()[0] is False
            assert reader.execute(setting).fetchone()[0] is True
        finally:
            console.close()


def test_public_columns_lists_the_views(demo_dir):
    columns = public_columns(demo_dir)
    views = columns[columns["is_view"]].set_index("table_name")["columns"]
    assert {"plans", "regions", "availability", "stock_summary"} <= set(views.index)
    assert "monthly_cost_usd" in views["plans"]


def test_no_catalog_says_what_to_run(tmp_path):
    with pytest.raises(NoCatalogError, match="vultr-catalog collect"):
        run_console("select 1", tmp_path)


@pytest.fixture
def threaded():
    """A second thread in this process while the test runs: run_console then uses the dashboard's path,
    the warm worker (a one-thread process forks a child per query instead)."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


@pytest.mark.usefixtures("threaded")
def test_the_warm_worker_answers_from_the_catalog_published_last(demo_dir, tmp_path):
    """The worker keeps its connection between queries, but a publish (a new file swapped in) is read by
    the next query; a refusal in between changes nothing."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    catalog = data_dir / "catalog.duckdb"
    shutil.copyfile(demo_dir / "catalog.duckdb", catalog)
    count = "select count(*) as n from regions"
    before = int(run_console(count, data_dir).frame["n"].iloc[0])
    assert int(run_console(count, data_dir).frame["n"].iloc[0]) == before  # the kept connection
    refused("drop view regions", data_dir)
    fewer = tmp_path / "next.duckdb"
    shutil.copyfile(catalog, fewer)
    with duckdb.connect(str(fewer)) as con:
        con.execute("create or replace view regions as select * from regions_history where false")
    os.replace(fewer, catalog)  # as publish swaps a catalog in
    assert int(run_console(count, data_dir).frame["n"].iloc[0]) == 0 != before
