"""Load the .sql models shipped under pipeline/transforms/."""
from __future__ import annotations

from functools import cache
from pathlib import Path

TRANSFORMS = Path(__file__).resolve().parent / "transforms"


@cache
def load_sql(relative_path: str) -> str:
    return (TRANSFORMS / relative_path).read_text(encoding="utf-8")


def sql_files(folder: str) -> list[Path]:
    return sorted((TRANSFORMS / folder).glob("*.sql"))


def quote_literal(text: str) -> str:
    """Quote a file path for ATTACH, which takes no bound parameters; never used for user values in queries."""
    return "'" + text.replace("'", "''") + "'"
