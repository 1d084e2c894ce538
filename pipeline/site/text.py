"""Words and figures the pages share, on top of the one formatter (pipeline.queries.formatting)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pipeline import queries
from pipeline.queries.formatting import MISSING, is_missing, money

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def segment(entity_id: str) -> str:
    """A catalog id as one URL path segment and folder name (Vultr's ids already are: vc2-1c-1gb, fra)."""
    return UNSAFE.sub("_", str(entity_id))


def utc(moment: datetime | None) -> str:
    """`2026-11-07 00:00 UTC`, as the formatter writes times; — when missing."""
    if moment is None:
        return MISSING
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC (Atom, JSON): 2026-11-07T00:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value_text(field: Any, value: Any) -> str:
    """A changed field's value: money as money ($5.50), the rest as stored, — when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(field, str) and field.endswith("_usd"):
        try:
            return money(value)
        except ArithmeticError:
            return str(value)
    return str(value)


def change_line(change: dict[str, Any]) -> str:
    """One readable line per change: `vhf-1c-1gb sold out in fra` (the registry's wording, as everywhere)."""
    return queries.describe_change(change["entity"], change["entity_id"], change["region_id"], change["change_type"],
                                   change["field"], value_text(change["field"], change["old_value"]),
                                   value_text(change["field"], change["new_value"]))
