"""Hardening (issue 14): SQL with limits on every surface. `vultr-catalog sql` and the dashboard
console share one code path (queries/console.py): its sandbox, its statement check (EXPLAIN only
around a SELECT), its time, row, memory and spill limits, and its one-line messages."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipeline.cli import commands, main
from pipeline.queries import console
from pipeline.queries.console import ConsoleError, run_console
from tests.conftest import ROOT, wait_for

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


@pytest.fixture
def system_temp(tmp_path_factory, monkeypatch) -> Path:
    """A private system temp for this test (tempfile.gettempdir(); TMPDIR for a subprocess): other
    xdist workers' consoles spill and sweep in the real one at the same time."""
    temp = tmp_path_factory.mktemp("system-temp")
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def spill_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{console.SPILL_PREFIX}*")}


def test_spill_is_capped_private_and_removed(demo_dir, tmp_path, system_temp, capsys, monkeypatch):
    """A DISTINCT past the memory limit spills into a private directory under the system temp, stops
    at the spill cap with one line, and leaves nothing behind (no `./.tmp`, no spill directory)."""
    monkeypatch.setattr(console, "CONSOLE_MEMORY_LIMIT_MB", 64)
    monkeypatch.setattr(console, "CONSOLE_SPILL_LIMIT_MB", 96)
    monkeypatch.chdir(tmp_path)
    before = spill_dirs()
    query = "select count(*) from (select distinct i::varchar || repeat('x', 40) from range(8000000) t(i))"
    assert main(["sql", query, "--data-dir", str(demo_dir)]) == 1
    assert "memory limit" in capsys.readouterr().err
    assert not (tmp_path / ".tmp").exists() and os.listdir(tmp_path) == []
    assert spill_dirs() - before == set()


def vm_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


# Strings DuckDB builds outside its buffer manager (memory_limit does not count them: in-process,
# the first reached 645-990 MB RSS under a 64 MB limit), and aggregates it does count.
OVER_MEMORY = [
    "select repeat('x', 300000000) as s",
    "select repeat('x', 100000000) || repeat('y', 100000000) as s",
    "select md5(repeat(repeat('x', 10000), 30000)) as h",
    "select string_agg(repeat('x', 10000000), ',') as s from range(40)",
    "select list(repeat('x', 10000000)) as l from range(40)",
]


@pytest.mark.parametrize("query", OVER_MEMORY, ids=["repeat", "concat", "intermediate", "string_agg", "list"])
def test_memory_is_bounded_for_real(demo_dir, system_temp, capsys, monkeypatch, query):
    """The query runs in a child process whose data segment the OS bounds: the console's one-line
    memory message, the test process's own peak RSS barely moves, no child or spill directory stays."""
    import multiprocessing

    monkeypatch.setattr(console, "CONSOLE_MEMORY_LIMIT_MB", 64)
    monkeypatch.setattr(console, "CONSOLE_HEADROOM_MB", 128)
    run_console("select 1", demo_dir)  # pandas, pyarrow and the fork server are loaded before measuring
    before = spill_dirs()
    with open("/proc/self/clear_refs", "w") as clear_refs:  # VmHWM := VmRSS (Linux): the peak from here on
        clear_refs.write("5")
    rss_kb = vm_kb("VmRSS")
    assert main(["sql", query, "--data-dir", str(demo_dir)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("Error: ") and "memory limit (64 MB for DuckDB, 192 MB for the whole query" in line
    assert vm_kb("VmHWM") - rss_kb < 64 * 1024  # in-process, the first case alone added ~600 MB
    assert multiprocessing.active_children() == [] and spill_dirs() - before == set()


def test_a_result_over_the_result_limit_is_refused(demo_dir, monkeypatch):
    monkeypatch.setattr(console, "CONSOLE_RESULT_LIMIT_MB", 8)
    with pytest.raises(ConsoleError, match=r"result limit \(8 MB of rows\)"):
        run_console("select repeat('x', 1000000) as s from range(20)", demo_dir)
    assert len(run_console("select repeat('x', 1000000) as s from range(5)", demo_dir).frame) == 5


SPILLING = "select count(*) from (select distinct i::varchar || repeat('x', 40) from range(20000000) t(i))"
CONSOLE_THAT_SPILLS = f"""
import sys
from pipeline.queries import console
console.CONSOLE_MEMORY_LIMIT_MB = 64
console.CONSOLE_SPILL_LIMIT_MB = 4096
console.run_console({SPILLING!r}, sys.argv[1], time_limit_s=300)
"""


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_spill_of_a_killed_console_is_swept_by_the_next_query(demo_dir, system_temp):
    """SIGKILL a console mid-spill: no cleanup of its own runs, its query's child dies with it, and
    its spill directory stays until the next query sweeps it; a living process's stays."""
    temp = system_temp
    living = temp / f"{console.SPILL_PREFIX}{os.getppid()}-{'0' * 12}"  # pytest's parent: alive
    living.mkdir()
    process = subprocess.Popen([sys.executable, "-c", CONSOLE_THAT_SPILLS, str(demo_dir)], cwd=ROOT,
                               env={**os.environ, "TMPDIR": str(temp)})
    try:
        def spilled() -> list[Path]:
            return [d for d in temp.glob(f"{console.SPILL_PREFIX}{process.pid}-*") if any(d.iterdir())]

        (spill,) = wait_for(spilled, 60, "spill files of the console process")
        query_children = children_of(process.pid)
        assert query_children
        process.kill()
        process.wait(30)
        wait_for(lambda: not any(map(is_running, query_children)), 5, "the query's child to die with its parent")
        assert spill.exists()  # nobody cleaned up after the killed console
        run_console("select 1", demo_dir)
        assert not spill.exists() and living.exists()
    finally:
        process.kill()
        process.wait(30)
        shutil.rmtree(living, ignore_errors=True)
