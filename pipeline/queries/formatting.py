"""THE one formatter for people-facing text: the CLI's tables, the dashboard, the SQL console, alert text
and the static site all call these, so a number reads the same wherever it is shown.

- money: `$`, thousands grouped, two decimals, more only where the value has them: `$17,520.00`, `$0.007`
  (hourly prices at the API's own precision, never padded to `$0.0070`); negatives `-$1.00`;
- an estimate carries `≈` in front (`≈$0.0089`); anything missing is `—`;
- per-unit ratios ($/vCPU, $/GB RAM): two decimals, three below $1: `$13.33`, `$0.625`;
- percentages to one decimal: `96.0%`; DECIMAL values at their scale (`2.50`);
- RAM in GB (`0.5 GB`), bandwidth in TB (`10 TB`), disks in GB; UTC times `2026-11-07 00:00 UTC`;
- counts agree with their noun: `1 change`, `2 changes`; column keys get friendly headers (`$/month`);
- the headline of a plan: `1 vCPU · 1 GB RAM · 32 GB disk · $6.00/month`.
Machine formats (csv, json) keep the exact values and the column keys (pipeline.queries.output).
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from numbers import Integral, Real
from typing import Any

from pipeline.durations import format_duration
from pipeline.entities import describe_change

MISSING = "—"
ESTIMATE = "≈"
MB_PER_GB = 1024
GB_PER_TB = 1024  # Vultr's API gives 1024 GB for the plans its price list calls "1 TB" (10240 -> 10 TB)
PER_UNITS = {"month": "month", "hour": "hour"}  # the finder's `per` values -> the word after the slash


def is_missing(value: Any) -> bool:
    """None, NaN and pandas' NA/NaT (all mean "no value"); False for every real value."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pandas NA/NaT compare unequal to themselves
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT")


def money_text(value: Decimal) -> str:
    """Exact decimal text with at least two places, ungrouped (csv/json): 6.000000 -> 6.00, 0.003000 -> 0.003."""
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def money(value: Any, estimate: bool = False) -> str:
    """$17,520.00, $0.007, -$1.00 (exact, grouped, at least two places); `≈$0.0089` for an estimate;
    — when missing. Hourly prices go through here too, so they keep the API's precision everywhere."""
    if is_missing(value):
        return MISSING
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""  # -$1.00, never $-1.00 (a fleet's negative saving)
    whole, _, frac = money_text(abs(amount)).partition(".")
    return f"{ESTIMATE if estimate else ''}{sign}${int(whole):,}.{frac}"


def price(value: Any, per: str = "month", estimate: bool = False) -> str:
    """A price with its period: `$6.00/month`, `$0.009/hour`, `≈$0.0089/hour`; — when missing."""
    text = money(value, estimate)
    return text if text == MISSING else f"{text}/{PER_UNITS.get(per, per)}"


def _exponent(value: Any) -> int:
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0  # 'n', 'N', 'F': NaN and infinity have no places


def money_places(values: Any) -> int:
    """How many decimals a column of prices needs to show each at its own precision (at least 2):
    the dashboard grid formats a whole column with one printf pattern."""
    places = [max(2, -_exponent(v)) for v in values if not is_missing(v)]
    return max(places, default=2)


def per_unit(value: Any) -> str:
    """A ratio such as $/vCPU: $13.33, $0.625 (three places below $1), — when missing."""
    return MISSING if is_missing(value) else "$" + per_unit_text(value)


def per_unit_text(value: Any) -> str:
    """The ratio without the $ (where the header already says $): 13.33, 0.625; — when missing."""
    if is_missing(value):
        return MISSING
    amount = Decimal(str(value))
    places = Decimal("0.01") if abs(amount) >= 1 else Decimal("0.001")
    return format(amount.quantize(places, ROUND_HALF_UP), "f")


def percent(share: Any) -> str:
    """A share (0..1) as a percentage to one decimal: 0.9602 -> 96.0%, 0.4 -> 40.0%; — when missing."""
    return MISSING if is_missing(share) else f"{float(share):.1%}"


def ratio_text(value: Any) -> str:
    """A share as a percentage to one decimal (the name older callers use for percent())."""
    return percent(value)


def decimal_text(value: Decimal) -> str:
    """A DECIMAL at its own scale, grouped: Decimal('2.50') -> 2.50, Decimal('17520.00') -> 17,520.00."""
    return f"{value:,f}" if value.is_finite() else str(value)


def number_text(value: float) -> str:
    """At most two decimals, no trailing zeros: 0.5, 1, 1.25; grouped from a million: 1,234,567."""
    return format(round(float(value), 2), "g") if float(value) < 1e6 else f"{float(value):,.0f}"


def ram_text(ram_mb: Any) -> str:
    """RAM in GB everywhere: 512 MB -> 0.5 GB, 4096 MB -> 4 GB; — when missing."""
    return MISSING if is_missing(ram_mb) else f"{number_text(int(ram_mb) / MB_PER_GB)} GB"


def bandwidth_text(bandwidth_gb: Any) -> str:
    """Monthly transfer in TB: 10240 GB -> 10 TB, 512 GB -> 0.5 TB; — when missing."""
    return MISSING if is_missing(bandwidth_gb) else f"{number_text(int(bandwidth_gb) / GB_PER_TB)} TB"


def disk_text(disk_gb: Any, disk_count: Any = 1) -> str:
    """`32 GB`, `2 x 480 GB`; `no disk` for a plan without one (some bare metal answers carry none)."""
    if is_missing(disk_gb):
        return "no disk"
    count = 1 if is_missing(disk_count) else int(disk_count)
    return f"{count} x {int(disk_gb)} GB" if count > 1 else f"{int(disk_gb)} GB"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`1 change`, `2 changes`, `1,009 changes`, `0 rows` (plural_noun for irregular nouns: match/matches)."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"


def vcpu_text(vcpu_count: int) -> str:
    """`1 vCPU`, `4 vCPUs`."""
    return plural(int(vcpu_count), "vCPU")


def headline(vcpu_count: Any, ram_mb: Any, disk_gb: Any, disk_count: Any, amount: Any, per: str = "month",
             estimate: bool = False) -> str:
    """What a plan is, each figure named: `1 vCPU · 1 GB RAM · 32 GB disk · $6.00/month` (or `/hour`)."""
    disk = disk_text(disk_gb, disk_count)
    return " · ".join([vcpu_text(int(vcpu_count)), f"{ram_text(ram_mb)} RAM",
                       disk if disk == "no disk" else f"{disk} disk", price(amount, per, estimate)])


def utc_text(value: Any) -> str:
    """A moment in UTC to the minute: `2026-11-07 00:00 UTC` (a naive time is taken as UTC); — when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    try:
        if not isinstance(value, datetime):  # a plain date
            return f"{value:%Y-%m-%d}"
        moment = value.astimezone(UTC) if value.tzinfo else value
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    except (NotImplementedError, ValueError, OverflowError):  # beyond strftime's years (test_all_types' extremes)
        return str(value)


def duration_text(seconds: float) -> str:
    """A span as `status` prints it: `45s`, `3h`, `2h 30m`, `2d 4h` (two units at most)."""
    return format_duration(seconds)


# Column keys whose header a reader would not guess from the key itself; others: header() below.
HEADERS = {
    "plan_id": "plan", "region_id": "region", "plan_type": "type", "vcpu_count": "vCPUs", "ram_mb": "RAM",
    "ram_gb": "RAM", "disk_gb": "disk", "disk_count": "disks", "bandwidth_gb": "transfer",
    "bandwidth_tb": "transfer", "monthly_cost_usd": "$/month", "hourly_cost_usd": "$/hour",
    "estimated_hourly_cost_usd": "≈ $/hour", "monthly_cost_per_vcpu_usd": "$/vCPU/month",
    "monthly_cost_per_gb_ram_usd": "$/GB RAM/month", "monthly_cost_preemptible_usd": "preemptible $/month",
    "hourly_cost_preemptible_usd": "preemptible $/hour", "base_monthly_cost_usd": "base $/month",
    "is_in_stock": "in stock", "gpu_vram_gb": "GPU VRAM (GB)", "gpu_type": "GPU", "gpu_count": "GPUs",
    "cpu_vendor": "CPU vendor", "cpu_model": "CPU model", "cpu_allocation": "CPU allocation",
    "region_count": "regions", "snapshot_id": "snapshot", "entity_id": "id", "rule_name": "rule",
}


def header(column: str) -> str:
    """A friendly header for a column key: monthly_cost_usd -> `$/month`, changed_at -> `changed at` (its
    cells say UTC), is_regional_price -> `regional price`, anything else with spaces for underscores."""
    if column in HEADERS:
        return HEADERS[column]
    name = column.removeprefix("is_").removeprefix("has_")
    for suffix, unit in (("_usd", " ($)"), ("_gb", " (GB)"), ("_mb", " (MB)"), ("_s", " (s)"), ("_id", "")):
        if name.endswith(suffix):
            return name.removesuffix(suffix).replace("_", " ") + unit
    return name.replace("_", " ")


def cell_text(column: str, value: Any) -> str:
    """One value for reading, chosen by its column key and type: money in `_usd` columns ($22.50), ratios
    in `*_per_*` columns, RAM in GB, UTC times, DECIMAL at its scale, `yes`/`no`, — when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.endswith("_usd") and isinstance(value, (Decimal, Real, str)):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        if not amount.is_finite():
            return str(value)
        return per_unit(amount) if "_per_" in column else money(amount, estimate=column.startswith("estimated_"))
    if column == "ram_mb" and isinstance(value, Integral):
        return ram_text(value)
    if isinstance(value, (datetime, date)):
        return utc_text(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):  # floats (numpy's too): four significant digits, whole from a million
        return f"{float(value):,.4g}" if abs(float(value)) < 1e6 else f"{float(value):,.0f}"
    return str(value)


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


def change_value_text(field: Any, value: Any) -> str:
    """A changed field's old or new value: money as money ($5.50, not 5.500000), the rest as stored, — when
    missing."""
    if is_missing(value):
        return MISSING
    if isinstance(field, str) and field.endswith("_usd"):
        try:
            return money(value)
        except ArithmeticError:
            return str(value)
    return str(value)


def change_text(entity: str, entity_id: str, region_id: Any, change_type: str, field: Any = None,
                old_value: Any = None, new_value: Any = None) -> str:
    """One readable line per catalog_changes row (`vhf-1c-1gb sold out in fra`): the registry's wording
    (pipeline.entities, the alerts' too), its values as change_value_text writes them. The dashboard's
    feed and the static site's pages and Atom feeds use it."""
    return describe_change(entity, entity_id, region_id, change_type, field,
                           change_value_text(field, old_value), change_value_text(field, new_value))
