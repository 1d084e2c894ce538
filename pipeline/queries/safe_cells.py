"""Result cells made safe for where they are printed (pipeline.safe_text), before any formatting:
table output shows control characters escaped (cells and headers; lists and structs print as
Python literals, escaped by repr); csv neutralizes cells that a spreadsheet would run as a formula
(OWASP) and escapes terminal controls; json is left exact (its encoder escapes control characters,
and no spreadsheet opens it)."""
from __future__ import annotations

from pipeline.queries.core import Rows
from pipeline.safe_text import spreadsheet_text, terminal_lines, terminal_text


def safe_rows(result: Rows, fmt: str) -> Rows:
    if fmt == "json":
        return result
    clean = spreadsheet_text if fmt == "csv" else terminal_text
    return Rows([clean(str(c)) for c in result.columns],
                [tuple(clean(v) if isinstance(v, str) else v for v in row) for row in result.rows])


def safe_output(text: str, fmt: str) -> str:
    """The rendered text, once more: a table never carries a control character, whatever put it there."""
    return terminal_lines(text) if fmt == "table" else text
