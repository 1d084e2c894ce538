"""Render query results for the terminal: table, csv or json (money as exact decimals, never floats).

Plain rows (`Rows`, what `cheapest` prints) render without pandas; a DataFrame (`sql`, `alerts test`)
is turned into the same rows first, so both print alike.
"""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pipeline.queries.core import Rows
from pipeline.queries.safe_cells import safe_output, safe_rows

if TYPE_CHECKING:
    import pandas as pd

from pipeline.queries.formatting import cell_text, header, money_text

FORMATS = ("table", "csv", "json")
_MISSING = ("NaTType", "NAType")  # pandas' missing timestamp / nullable value, named without importing it


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ in _MISSING:
        return None
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # 'n', 'N' or 'F' for NaN and infinity
        return str(int(value)) if isinstance(exponent, int) and exponent >= 0 else money_text(value)
    if isinstance(value, (datetime, date)):  # pandas Timestamps are datetimes
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays (DuckDB lists) and numpy scalars
        return [_cell(v) for v in value.tolist()] if getattr(value, "ndim", 0) else value.tolist()
    if isinstance(value, list):
        return [_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # intervals, blobs, uuids: their text


def to_json(result: Rows) -> str:
    """An array of objects; decimals are written as exact JSON numbers (6.00, 0.003)."""
    out = []
    for row in result.rows:
        fields = []
        for key, value in zip(result.columns, row):
            cell = _cell(value)
            literal = cell if isinstance(value, Decimal) else json.dumps(cell, ensure_ascii=False, default=str)
            fields.append(f"{json.dumps(str(key))}: {literal}")
        out.append("{" + ", ".join(fields) + "}")
    return "[" + ",\n ".join(out) + "]"


def to_csv(result: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in result.rows)
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    cell = _cell(value)
    return "" if cell is None else cell


def to_table(result: Rows) -> str:
    """For reading: friendly headers, every cell through the one formatter (pipeline.queries.formatting:
    `$17,520.00`, `96.0%`, `—`, UTC times); csv/json keep the column keys and the exact values."""
    if not result.rows:
        return "(no rows)"
    cells = [[cell_text(str(c), v) for c, v in zip(result.columns, row)] for row in result.rows]
    headers = [header(str(c)) for c in result.columns]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def as_rows(frame: pd.DataFrame) -> Rows:
    return Rows([str(c) for c in frame.columns], list(frame.itertuples(index=False, name=None)))


def render(result: Rows | Any, fmt: str) -> str:
    """Rows or a DataFrame as table, csv or json."""
    if not isinstance(result, Rows):
        result = as_rows(result)
    return safe_output({"table": to_table, "csv": to_csv, "json": to_json}[fmt](safe_rows(result, fmt)), fmt)
