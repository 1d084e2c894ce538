"""docs/data-contract.md cannot drift: every documented relation and column exists in the published
catalog with the documented type (and nothing public is undocumented), and every example query runs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import queries

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"
SECTIONS = {"## Public views": "VIEW", "## History tables": "BASE TABLE"}


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", doc_text(), flags=re.S | re.M)


def documented_relations() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """{name: (table_type, [(column, type), ...])} from the `### \\`name\\`` sections and their tables."""
    relations: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    kind = None
    name = None
    for line in doc_text().splitlines():
        if line.startswith("## "):
            kind, name = next((k for heading, k in SECTIONS.items() if line.startswith(heading)), None), None
        elif kind and (match := re.match(r"### `(\w+)`", line)):
            name = match.group(1)
            relations[name] = (kind, [])
        elif kind and name and (match := re.match(r"\| `(\w+)` \| ([^|]+?) \|", line)):
            relations[name][1].append((match.group(1), match.group(2)))
    return relations


def catalog_relations(con) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    rows = con.execute(
        "select t.table_name, t.table_type, list((c.column_name, c.data_type) order by c.ordinal_position) "
        "from information_schema.tables t join information_schema.columns c "
        "  on c.table_name = t.table_name and c.table_schema = t.table_schema and c.table_catalog = t.table_catalog "
        "where t.table_schema = 'main' and t.table_catalog = current_database() and not starts_with(t.table_name, '_') "
        "group by all").fetchall()
    return {name: (kind, [tuple(c.values()) if isinstance(c, dict) else tuple(c) for c in cols])
            for name, kind, cols in rows}


@pytest.fixture
def con(demo_dir: Path):
    with queries.catalog(demo_dir) as connection:
        yield connection


def test_the_document_parses_into_views_and_tables():
    documented = documented_relations()
    assert {"plans", "availability", "stock_summary"} <= {n for n, (k, _) in documented.items() if k == "VIEW"}
    assert {"plans_history", "catalog_changes", "snapshots"} <= {n for n, (k, _) in documented.items()
                                                                 if k == "BASE TABLE"}
    assert all(columns for _, columns in documented.values())


def test_every_public_relation_is_documented_and_vice_versa(con):
    documented = documented_relations()
    actual = catalog_relations(con)
    assert sorted(documented) == sorted(actual)
    for name, (kind, columns) in actual.items():
        assert documented[name][0] == kind, name
        assert documented[name][1] == columns, name


def test_plans_name_hardware_threads_once(con):
    """Issue 23: `plans` had both cpu_threads and cpu_thread_count; the contract's name is the one left, in
    the view, its history and the as-of macro alike."""
    for relation in ("plans", "plans_history", "plans_at(now())"):
        columns = [row[0] for row in con.execute(f"select * from {relation} limit 0").description]
        assert columns.count("cpu_thread_count") == 1 and "cpu_threads" not in columns, relation
    metal = con.execute("select count(*) from plans where is_bare_metal and cpu_thread_count = vcpu_count").fetchone()
    assert metal[0] > 0  # bare metal's vCPUs are its threads


def test_documented_macros_exist(con):
    macros = set(re.findall(r"^\| `(\w+)\(ts(?:, \w+)*\)` \|", doc_text(), flags=re.M))
    actual = {r[0] for r in con.execute(
        "select function_name from duckdb_functions() where function_type = 'table_macro' and not internal"
    ).fetchall()}
    assert macros and macros == actual


def test_at_least_ten_example_queries():
    assert len(code_blocks("sql")) >= 10


@pytest.mark.parametrize("index", range(len(code_blocks("sql"))))
def test_example_query_runs(con, index: int):
    query = code_blocks("sql")[index]
    result = queries.run_sql(con, query)
    assert len(result.columns) >= 1, query
    # change events and windows ending now may be none on the suite's 2-day demo history; the rest answer
    if "now()" not in query and "catalog_changes" not in query:
        assert len(result) >= 1, query


def test_python_example_runs(demo_dir: Path, monkeypatch):
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(demo_dir))
    (block,) = code_blocks("python")
    exec(compile(block, str(DOC), "exec"), {})
