"""Text for the dashboard: the one-sentence answer, ages and change lines, on top of the one formatter
(pipeline.queries.formatting: money, ratios, RAM in GB, bandwidth in TB, — for missing, plurals)."""
from __future__ import annotations

import pandas as pd

from pipeline.queries.formatting import (
    MISSING,
    bandwidth_text,
    change_text,
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

__all__ = ["MISSING", "age_text", "answer_sentence", "bandwidth_text", "change_text", "disk_text",
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
