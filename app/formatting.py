"""Pure text helpers for the dashboard: the one-sentence answer, sizes, money and ages."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from pipeline.queries.output import money_text

HOURS_PER_MONTH_CAP = 672  # Vultr bills hourly up to a monthly cap of 672 hours (28 days)


def money(value: Any) -> str:
    """$6.00, $0.009 (at least two places, exact)."""
    if value is None or pd.isna(value):
        return "n/a"
    return "$" + money_text(Decimal(value))


def ram_text(ram_mb: int) -> str:
    return f"{ram_mb} MB" if ram_mb < 1024 else f"{ram_mb / 1024:g} GB"


def disk_text(disk_gb: Any, disk_count: Any = 1) -> str:
    if disk_gb is None or pd.isna(disk_gb):
        return "no disk"
    count = 1 if disk_count is None or pd.isna(disk_count) else int(disk_count)
    return f"{count} x {int(disk_gb)} GB" if count > 1 else f"{int(disk_gb)} GB"


def vcpu_text(vcpu_count: int) -> str:
    return f"{vcpu_count} vCPU" if vcpu_count == 1 else f"{vcpu_count} vCPUs"


def answer_sentence(ranked: pd.DataFrame, place: str, plan_type: str | None, in_stock_only: bool) -> str:
    """'Cheapest vhf plan in stock in Frankfurt: vhf-1c-1gb, 1 vCPU, 1 GB, 32 GB, $6.00/month'."""
    kind = f"{plan_type} plan" if plan_type else "plan"
    where = f"{'in stock' if in_stock_only else 'offered'} in {place}"
    if ranked.empty:
        return f"No {kind} {where} matches these filters."
    top = ranked.iloc[0]
    sold_out = "" if in_stock_only or bool(top["is_in_stock"]) else " (sold out now)"
    return (f"Cheapest {kind} {where}: {top['plan_id']}, {vcpu_text(int(top['vcpu_count']))}, "
            f"{ram_text(int(top['ram_mb']))}, {disk_text(top['disk_gb'], top['disk_count'])}, "
            f"{money(top['monthly_cost_usd'])}/month{sold_out}")


def hourly_usd(monthly: Any, hourly: Any) -> Decimal | None:
    """The API's hourly price when it gives one, else monthly / 672 h (Vultr's monthly cap), 4 places."""
    if hourly is not None and not pd.isna(hourly):
        return Decimal(hourly)
    if monthly is None or pd.isna(monthly):
        return None
    return (Decimal(monthly) / HOURS_PER_MONTH_CAP).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def age_text(age_s: float | None) -> str:
    if age_s is None:
        return "never"
    minutes = int(max(age_s, 0) // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min ago" if hours < 48 else f"{hours // 24} days ago"


def describe_change(entity: str, entity_id: str, region_id: Any, change_type: str, field: Any,
                    old_value: Any, new_value: Any) -> str:
    """One readable line per catalog_changes row ('vhf-1c-1gb sold out in fra')."""
    where = "" if region_id is None or pd.isna(region_id) else f" in {region_id}"
    if entity == "availability":
        return f"{entity_id} {'in stock' if change_type == 'added' else 'sold out'}{where}"
    if entity == "plan_location":
        return f"{entity_id} {'now offered' if change_type == 'added' else 'no longer offered'}{where}"
    if change_type == "changed":
        return f"{entity} {entity_id}: {field} {old_value} -> {new_value}"
    return f"{entity} {entity_id} {change_type}{where}"
