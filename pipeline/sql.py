"""Load the .sql models shipped beside the code (paths relative to pipeline/), and small DuckDB helpers."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent  # SQL lives beside the code that runs it


@cache
def load_sql(relative_path: str) -> str:
    return (ROOT / relative_path).read_text(encoding="utf-8")


def sql_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.sql"))


def quote_literal(text: str) -> str:
    """Quote a file path for ATTACH, which takes no bound parameters; never used for user values in queries."""
    return "'" + text.replace("'", "''") + "'"


def fetch_one(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result drained: DuckDB 2 refuses new work on a connection
    whose result was left open by fetchone() ("connection has an unfinished result")."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def fetch_value(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> object:
    row = fetch_one(con, query, params)
    return row[0] if row else None


def execute_with(con: duckdb.DuckDBPyConnection, name: str, relation: object, statement: str) -> None:
    """Run a statement that reads an in-memory table (Arrow, pandas) registered as `name` meanwhile."""
    con.register(name, relation)
    try:
        con.execute(statement)
    finally:
        con.unregister(name)
