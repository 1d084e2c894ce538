"""Words and figures the pages share, on top of the one formatter (pipeline.queries.formatting)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pipeline.queries.formatting import change_text

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def segment(entity_id: str) -> str:
    """A catalog id as one URL path segment and folder name (Vultr's ids already are: vc2-1c-1gb, fra)."""
    return UNSAFE.sub("_", str(entity_id))


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC (Atom, JSON): 2026-11-07T00:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def change_line(change: dict[str, Any]) -> str:
    """One readable line per change: `vhf-1c-1gb sold out in fra` (the registry's wording, as everywhere)."""
    return change_text(*(change[key] for key in ("entity", "entity_id", "region_id", "change_type", "field",
                                                  "old_value", "new_value")))
