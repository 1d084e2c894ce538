"""Text for the dashboard: the one-sentence answer, ages and change lines, on top of the one formatter
(pipeline.queries.formatting: money, ratios, RAM in GB, bandwidth in TB, — for missing, plurals)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline import queries
from pipeline.queries.formatting import (
    MISSING,
    bandwidth_text,
    disk_text,
    duration_text,
    headline,
    is_missing,
    money,
    per_unit,
    plural,
    ram_text,
    ratio_text,
    utc_text,
    vcpu_text,
)

__all__ = ["MISSING", "age_text", "answer_sentence", "bandwidth_text", "describe_change", "disk_text",
           "duration_text", "money", "per_unit", "plural", "ram_text", "ratio_text", "utc_text", "vcpu_text"]


def answer_sentence(ranked: pd.DataFrame, place: str, plan_type: str | None, in_stock_only: bool,
                    region_names: dict[str, str] | None = None, per: str = "month", lead: str = "Cheapest",
                    query: str = "") -> str:
    """The grid's first row in one sentence: 'Cheapest vhf plan in stock in Frankfurt: vhf-1c-1gb — 1 vCPU ·
    1 GB RAM · 32 GB disk · $6.00/month'; with region_names (any region) it names its region: 'vhf-1c-1gb in
    Frankfurt (fra)'; `per="hour"` quotes the hourly price (≈ where it is an estimate)."""
    kind = f"{plan_type} plan" if plan_type else "plan"
    where = f"{'in stock' if in_stock_only else 'offered'} in {place}" + (f" matching “{query}”" if query else "")
    if ranked.empty:
        return f"No {kind} {where} matches these filters."
    top = ranked.iloc[0]
    sold_out = "" if in_stock_only or bool(top["is_in_stock"]) else " (sold out now)"
    there = f" in {region_names.get(top['region_id'], top['region_id'])} ({top['region_id']})" if region_names else ""
    amount, estimate = top["monthly_cost_usd"], False
    if per == "hour":
        estimate = is_missing(top["hourly_cost_usd"])
        amount = top.get("estimated_hourly_cost_usd") if estimate else top["hourly_cost_usd"]
    figures = headline(top["vcpu_count"], top["ram_mb"], top["disk_gb"], top["disk_count"], amount, per, estimate)
    return f"{lead} {kind} {where}: {top['plan_id']}{there} — {figures}{sold_out}"


def age_text(age_s: float | None) -> str:
    if age_s is None:
        return "never"
    minutes = int(max(age_s, 0) // 60)
    if minutes < 60:
        return f"{plural(minutes, 'minute')} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{plural(hours, 'hour')} {plural(minutes % 60, 'minute')} ago"
    return f"{plural(hours // 24, 'day')} ago"


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


def describe_change(entity: str, entity_id: str, region_id: Any, change_type: str, field: Any,
                    old_value: Any, new_value: Any) -> str:
    """One readable line per catalog_changes row ('vhf-1c-1gb sold out in fra'): the registry's wording
    (pipeline.entities, the same as the alerts'), money values as money."""
    return queries.describe_change(entity, entity_id, region_id, change_type, field, value_text(field, old_value),
                                   value_text(field, new_value))
