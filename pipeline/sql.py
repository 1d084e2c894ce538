"""Load the .sql models shipped beside the code (paths relative to pipeline/), and small DuckDB helpers."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent  # SQL lives beside the code that runs it


@cache
def load_sql(relative_path: str) -> str:
    return (ROOT / relative_path).read_text(encoding="utf-8")


OPTIONAL_LINE = re.compile(r"--\s*if\s+(\w+)\s*$")


def optional_lines(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A model whose lines marked `-- if <name>` apply only with that parameter: the lines of a parameter
    that is None or False are left out, and so is every parameter the rest no longer names. A filter
    that does not apply is then not planned at all (`cast($x as t) is null or ...` is, on every call).
    The SQL stays the model's own text: values are bound, never formatted in."""
    text = _without_lines(sql, frozenset(k for k, v in params.items() if v is None or v is False))
    return text, {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", text)}


@cache
def _without_lines(sql: str, absent: frozenset[str]) -> str:
    return "\n".join(line for line in sql.splitlines()
                     if not ((tag := OPTIONAL_LINE.search(line)) and tag.group(1) in absent))


RULES = "rules.sql"  # the business rules as DuckDB macros, each defined once (see the file's header)


def define_rules(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """Define the rules' macros on `con`: in its database (a published catalog, whose views call them), or
    `temporary` (a reader's or the warehouse's connection: the catalog it reads may predate a rule)."""
    sql = load_sql(RULES)
    if temporary:
        sql = sql.replace("create or replace macro ", "create or replace temp macro ")
    con.execute(sql)


def create_model_table(con: duckdb.DuckDBPyConnection, relative_path: str, temporary: bool = False) -> None:
    """Create (or replace) the table a model file names (its stem, e.g. `_offers_history`) from the model's
    select: in the connection's database, or `temporary`, on the connection only."""
    path = ROOT / relative_path
    create = "create or replace temp table" if temporary else "create or replace table"
    con.execute(f"{create} {path.stem} as {load_sql(relative_path)}")


def sql_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.sql"))


def quote_literal(text: str) -> str:
    """Quote a file path for ATTACH, which takes no bound parameters; never used for user values in queries."""
    return "'" + text.replace("'", "''") + "'"


def fetch_one(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query, with the result drained: DuckDB 2 refuses new work on a connection
    whose result was left open by fetchone() ("connection has an unfinished result")."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def fetch_value(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row (None without a row): any DuckDB value, typed by the caller."""
    row = fetch_one(con, query, params)
    return row[0] if row else None


def columns_select(types: dict[str, str]) -> str:
    """`select unnest(cast($col as type[])) as col, ...`: rows from equal-length Python lists bound by
    name. (Handing DuckDB an Arrow table or a DataFrame instead makes it import pandas, which a
    collector or a quick CLI command never needs.) Column names and types come from code."""
    return "select " + ", ".join(f"unnest(cast(${c} as {t}[])) as {c}" for c, t in types.items())
