"""Render query results for the terminal: table, csv or json (money as exact decimals, never floats)."""
from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from pipeline.queries.formatting import money_text, per_unit_text

FORMATS = ("table", "csv", "json")


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        return str(int(value)) if value.as_tuple().exponent >= 0 else money_text(value)
    if isinstance(value, (datetime, date, pd.Timestamp)):
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


def to_json(frame: pd.DataFrame) -> str:
    """An array of objects; decimals are written as exact JSON numbers (6.00, 0.003)."""
    rows = []
    for record in frame.to_dict(orient="records"):
        fields = []
        for key, value in record.items():
            cell = _cell(value)
            literal = cell if isinstance(value, Decimal) else json.dumps(cell, ensure_ascii=False, default=str)
            fields.append(f"{json.dumps(str(key))}: {literal}")
        rows.append("{" + ", ".join(fields) + "}")
    return "[" + ",\n ".join(rows) + "]"


def to_csv(frame: pd.DataFrame) -> str:
    return frame.map(_cell).to_csv(index=False)


def to_table(frame: pd.DataFrame) -> str:
    """For reading: missing is `—`, ratios (`*_per_*` columns) at 2-3 decimals; csv/json stay exact."""
    if frame.empty:
        return "(no rows)"
    cells = frame.map(lambda v: "—" if _cell(v) is None else str(_cell(v)))
    for column in frame.columns:
        if "_per_" in str(column):
            cells[column] = [per_unit_text(v) for v in frame[column]]
    widths = [max(len(str(c)), *(len(v) for v in cells[c])) for c in cells.columns]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cells.columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def render(frame: pd.DataFrame, fmt: str) -> str:
    return {"table": to_table, "csv": to_csv, "json": to_json}[fmt](frame)
