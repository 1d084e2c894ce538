"""The one formatter for people-facing numbers, shared by the dashboard, the CLI and alert text.

- money: `$` and two decimals, more only where the value has them (the API's `$0.007`/h): `$5.00`;
- per-unit ratios ($/vCPU, $/GB RAM): two decimals, three below $1: `$13.33`, `$0.625`;
- RAM in GB (`0.5 GB`, `16 GB`), bandwidth in TB (`10 TB`, `0.5 TB`), disks in GB;
- an estimate carries `≈` in front; anything missing is `—`;
- counts agree with their noun: `1 change`, `2 changes`.
Machine formats (csv, json) keep the exact decimals (pipeline.queries.output).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MISSING = "—"
ESTIMATE = "≈"
MB_PER_GB = 1024
GB_PER_TB = 1024  # Vultr's API gives 1024 GB for the plans its price list calls "1 TB" (10240 -> 10 TB)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pandas NA/NaT compare unequal to themselves
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT")


def money_text(value: Decimal) -> str:
    """Exact decimal text with at least two places: 6.000000 -> 6.00, 0.003000 -> 0.003."""
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def money(value: Any, estimate: bool = False) -> str:
    """$6.00, $0.007, -$1.00 (exact, at least two places); `≈$0.0089` for an estimate; — when missing."""
    if is_missing(value):
        return MISSING
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""  # -$1.00, never $-1.00 (a fleet's negative saving)
    return (ESTIMATE if estimate else "") + sign + "$" + money_text(abs(amount))


def per_unit(value: Any) -> str:
    """A ratio such as $/vCPU: $13.33, $0.625 (three places below $1), — when missing."""
    return MISSING if is_missing(value) else "$" + per_unit_text(value)


def per_unit_text(value: Any) -> str:
    """The ratio without the $ (CLI tables, where the column name says usd)."""
    if is_missing(value):
        return MISSING
    amount = Decimal(str(value))
    places = Decimal("0.01") if abs(amount) >= 1 else Decimal("0.001")
    return format(amount.quantize(places, ROUND_HALF_UP), "f")


def number_text(value: float) -> str:
    """At most two decimals, no trailing zeros: 0.5, 1, 1.25."""
    return format(round(float(value), 2), "g") if float(value) < 1e6 else f"{float(value):,.0f}"


def ram_text(ram_mb: Any) -> str:
    """RAM in GB everywhere: 512 MB -> 0.5 GB, 4096 MB -> 4 GB."""
    return MISSING if is_missing(ram_mb) else f"{number_text(int(ram_mb) / MB_PER_GB)} GB"


def bandwidth_text(bandwidth_gb: Any) -> str:
    """Monthly transfer in TB: 10240 GB -> 10 TB, 512 GB -> 0.5 TB."""
    return MISSING if is_missing(bandwidth_gb) else f"{number_text(int(bandwidth_gb) / GB_PER_TB)} TB"


def disk_text(disk_gb: Any, disk_count: Any = 1) -> str:
    if is_missing(disk_gb):
        return "no disk"
    count = 1 if is_missing(disk_count) else int(disk_count)
    return f"{count} x {int(disk_gb)} GB" if count > 1 else f"{int(disk_gb)} GB"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`1 change`, `2 changes`, `1,009 changes` (plural_noun for irregular nouns)."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


def vcpu_text(vcpu_count: int) -> str:
    return plural(int(vcpu_count), "vCPU")


def ratio_text(value: Any) -> str:
    """A share as a whole percentage: 0.734 -> 73%."""
    return MISSING if is_missing(value) else f"{float(value):.0%}"


def span_text(seconds: Any) -> str:
    """How long something lasted, to the minute, in words: `45 min`, `3 h 10 min`, `2 h 05 min`, `9 h`,
    `2 d 4 h` (two units at most); `under 1 min`; — when missing."""
    if is_missing(seconds):
        return MISSING
    minutes = round(float(seconds) / 60)
    if minutes < 1:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def utc_text(value: Any) -> str:
    """A moment in UTC to the minute: `2026-11-07 00:00 UTC` (a naive time is taken as UTC); — when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if not isinstance(value, datetime):  # a plain date
        return f"{value:%Y-%m-%d}"
    moment = value.astimezone(timezone.utc) if value.tzinfo else value
    return f"{moment:%Y-%m-%d %H:%M} UTC"
