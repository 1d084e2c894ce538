"""The finder's ranking as a grid: numbers stay numbers, the column_config says how to show them ($ and
decimals, GB, TB), a picker chooses the columns, and the sort is the page's (a URL parameter), so the
headline above the grid is always its first row.

Column keys (the finder's `columns` and `sort` URL parameters, shared with the static site):
ALWAYS are always shown; OPTIONAL are picked (`columns=plan_type,gpu_type`); `sort=price_per_vcpu`
sorts ascending, `sort=-vcpu_count` descending; no `sort` keeps the ranking (`vultr-catalog cheapest`).

The grid draws on a canvas; the CSV download beside it has the exact values (Decimal money,
estimated_hourly_cost_usd named as the estimate it is), like `vultr-catalog cheapest --format csv`.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui
from pipeline.queries.formatting import GB_PER_TB, MB_PER_GB, money_places

ESTIMATED, FROM_API = "≈ estimate", "API"
SEARCHED = ("plan_id", "plan_type", "cpu_vendor", "gpu_type")  # what a search word can match (and `gpu`)


def _float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("object"), errors="coerce").astype("float64")


def _text(ranked: pd.DataFrame, column: str) -> pd.Series:
    """A column as lower-case text ('' where missing or absent), for the search."""
    if column not in ranked:
        return pd.Series("", index=ranked.index)
    return ranked[column].astype("object").where(ranked[column].notna(), "").astype(str).str.lower()


def search(ranked: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows matching every word of the query (case-insensitive) in a shown attribute: plan id, type,
    CPU vendor or GPU type; the word `gpu` also matches every plan that has a GPU."""
    words = query.lower().split()
    if not words:
        return ranked
    text = _text(ranked, SEARCHED[0]).str.cat([_text(ranked, c) for c in SEARCHED[1:]], sep=" ")
    has_gpu = _text(ranked, "gpu_type").ne("")
    keep = pd.Series(True, index=ranked.index)
    for word in words:
        keep &= text.str.contains(word, regex=False) | (has_gpu if word == "gpu" else False)
    return ranked[keep]


def _column(ranked: pd.DataFrame, name: str) -> pd.Series:
    return ranked[name] if name in ranked else pd.Series(None, index=ranked.index, dtype="object")


def display_frame(ranked: pd.DataFrame, per: str) -> pd.DataFrame:
    """What the grid shows: floats for sorting, one price per the toggle, per-unit ratios of that price."""
    monthly = _float(ranked["monthly_cost_usd"])
    api_hourly = _float(ranked["hourly_cost_usd"])
    hourly = api_hourly.fillna(_float(ranked["estimated_hourly_cost_usd"]))
    price = monthly if per == "month" else hourly
    vcpus, ram_gb = _float(ranked["vcpu_count"]), _float(ranked["ram_mb"]) / MB_PER_GB
    return pd.DataFrame({
        "rank": range(1, len(ranked) + 1),
        "plan_id": ranked["plan_id"].astype(str), "region_id": ranked["region_id"].astype(str),
        "region_count": ranked.get("region_count", 1),
        "plan_type": ranked["plan_type"].astype(str),
        "vcpu_count": vcpus, "ram_gb": ram_gb, "disk_gb": _float(ranked["disk_gb"]),
        "disk_count": _float(ranked["disk_count"]), "bandwidth_tb": _float(ranked["bandwidth_gb"]) / GB_PER_TB,
        "price": price, "hourly_source": api_hourly.notna().map({True: FROM_API, False: ESTIMATED}),
        "price_per_vcpu": price / vcpus.where(vcpus > 0), "price_per_gb_ram": price / ram_gb.where(ram_gb > 0),
        "cpu_vendor": _column(ranked, "cpu_vendor"), "cpu_allocation": _column(ranked, "cpu_allocation"),
        "gpu_type": _column(ranked, "gpu_type"), "gpu_vram_gb": _float(_column(ranked, "gpu_vram_gb")),
        "is_in_stock": ranked["is_in_stock"].astype(bool),
    }).reset_index(drop=True)


def sort_frame(shown: pd.DataFrame, sort: str) -> pd.DataFrame:
    """Sorted by a column key (`-key`: descending), missing values last, ties in ranking order."""
    key = sort.removeprefix("-")
    if not key or key not in shown:
        return shown
    return shown.sort_values(key, ascending=not sort.startswith("-"), kind="stable", na_position="last")


def column_config(per: str, prices: pd.Series | None = None) -> dict:
    """Labels and formats per price mode: every per-unit label says /month or /hour; hourly prices at
    the API's precision (as many places as the column's prices have, like `$0.008` on the CLI)."""
    unit = "month" if per == "month" else "hour"
    money_format = "dollar" if per == "month" else f"$%.{money_places([] if prices is None else prices)}f"
    ratio_format = "$%.2f" if per == "month" else "$%.5f"
    number, text = st.column_config.NumberColumn, st.column_config.TextColumn
    return {
        "rank": number("#", width=40, help="rank by monthly price (the CLI's order)"),
        "plan_id": text("plan", pinned=True, width=190),
        "region_id": text("region", width=60, help="the plan's cheapest region (each_region=1: every region)"),
        "region_count": number("regions", format="%d", width=64, help="regions where it matches the filters"),
        "plan_type": text("type", width=52),
        "vcpu_count": number("vCPUs", format="%d", width=56),
        "ram_gb": number("RAM", format="%g GB", width=72),
        "disk_gb": number("disk", format="%d GB", width=76),
        "disk_count": number("disks", format="%d", width=52),
        "bandwidth_tb": number("transfer", format="%g TB", help="monthly transfer included", width=72),
        "price": number(f"$/{unit}", format=money_format, width=84,
                        help=None if per == "month" else "the API's hourly price; ≈ estimate: monthly / 672 h"),
        "hourly_source": text("source", help="of the hourly price: API, or ≈ estimate = monthly / 672 h (Vultr's "
                              "monthly billing cap)", width=76),
        "price_per_vcpu": number(f"$/vCPU/{unit}", format=ratio_format, width=104),
        "price_per_gb_ram": number(f"$/GB RAM/{unit}", format=ratio_format, width=120),
        "cpu_vendor": text("CPU", width=60),
        "cpu_allocation": text("CPU allocation", width=104, help="shared or dedicated vCPUs"),
        "gpu_type": text("GPU", width=110),
        "gpu_vram_gb": number("GPU VRAM", format="%g GB", width=84),
        "is_in_stock": st.column_config.CheckboxColumn("in stock", width=68),
    }


OPTIONAL = ["region_count", "plan_type", "disk_count", "bandwidth_tb", "hourly_source", "price_per_vcpu", "price_per_gb_ram",
            "cpu_vendor", "cpu_allocation", "gpu_type", "gpu_vram_gb", "is_in_stock"]
ALWAYS = ["rank", "plan_id", "vcpu_count", "ram_gb", "disk_gb", "price"]
ANYWHERE = ["region_id"]  # after plan_id when searching every region (region_count: optional)
DEFAULT_SHOWN = ["plan_type", "price_per_vcpu"]  # what fits beside the rest at 1280 px (tests/test_browser_finder)
SORTABLE = [c for c in [*ALWAYS, *ANYWHERE, *OPTIONAL] if c not in ("hourly_source",)]


def shown_columns(chosen: list[str], per: str, anywhere: bool, in_stock_only: bool) -> list[str]:
    """The grid's columns in their fixed order: the always-shown ones, then the chosen optional ones
    (region_count only anywhere; `in stock` only where sold-out rows are listed)."""
    if per == "hour" and "hourly_source" not in chosen:
        chosen = [*chosen, "hourly_source"]  # an hourly estimate is always marked as one
    if not in_stock_only and "is_in_stock" not in chosen:
        chosen = [*chosen, "is_in_stock"]  # sold-out rows are listed: say which
    always = [*ALWAYS[:2], *ANYWHERE, *ALWAYS[2:]] if anywhere else ALWAYS
    return [c for c in [*always, *OPTIONAL] if (c in always or c in chosen) and (anywhere or c != "region_count")]


def sort_label(sort: str, per: str) -> str:
    """`$/month ↑`, `vCPUs ↓`: a sort key as the picker shows it."""
    if not sort:
        return "ranking (cheapest first)"
    label = column_config(per)[sort.removeprefix("-")]["label"]
    return f"{label} {'↓' if sort.startswith('-') else '↑'}"


def ranking(ranked: pd.DataFrame, shown: pd.DataFrame, per: str, name: str, columns: list[str]) -> None:
    """The grid of the already sorted display rows (`shown`), then the CSV download of the exact rows."""
    config = column_config(per, shown["price"])
    ui.table(ranked, name, column_config=config, shown_grid=shown[columns])
