"""The finder's ranking as a sortable grid: numbers stay numbers (so a click on a header sorts them),
the column_config says how to show them ($ and decimals, GB, TB), a picker chooses the columns.

The grid draws on a canvas; the CSV download beside it has the exact values (Decimal money,
estimated_hourly_cost_usd named as the estimate it is), like `vultr-catalog cheapest --format csv`.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui
from pipeline.queries.formatting import GB_PER_TB, MB_PER_GB

ESTIMATED, FROM_API = "≈ estimate", "API"


def _float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("object"), errors="coerce").astype("float64")


def search(ranked: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows whose plan id or type contains every word of the query (case-insensitive)."""
    words = query.lower().split()
    if not words:
        return ranked
    text = ranked["plan_id"].astype(str).str.lower() + " " + ranked["plan_type"].astype(str).str.lower()
    keep = pd.Series(True, index=ranked.index)
    for word in words:
        keep &= text.str.contains(word, regex=False)
    return ranked[keep]


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
        "region_count": ranked["region_count"] if "region_count" in ranked else 1,
        "plan_type": ranked["plan_type"].astype(str),
        "vcpu_count": vcpus, "ram_gb": ram_gb, "disk_gb": _float(ranked["disk_gb"]),
        "disk_count": _float(ranked["disk_count"]), "bandwidth_tb": _float(ranked["bandwidth_gb"]) / GB_PER_TB,
        "price": price, "hourly_source": api_hourly.notna().map({True: FROM_API, False: ESTIMATED}),
        "price_per_vcpu": price / vcpus.where(vcpus > 0), "price_per_gb_ram": price / ram_gb.where(ram_gb > 0),
        "is_in_stock": ranked["is_in_stock"].astype(bool),
    }).reset_index(drop=True)


def column_config(per: str) -> dict:
    unit = "month" if per == "month" else "hour"
    money_format = "$%.2f" if per == "month" else "$%.4f"
    ratio_format = "$%.2f" if per == "month" else "$%.5f"
    number = st.column_config.NumberColumn
    return {
        "rank": number("#", width="small"),
        "plan_id": st.column_config.TextColumn("plan", pinned=True, width="medium"),
        "region_id": st.column_config.TextColumn("region", width="small", help="the plan's cheapest region"),
        "region_count": number("regions", format="%d", width="small", help="regions where it matches the filters"),
        "plan_type": st.column_config.TextColumn("type", width="small"),
        "vcpu_count": number("vCPUs", format="%d", width="small"),
        "ram_gb": number("RAM", format="%g GB", width="small"),
        "disk_gb": number("disk", format="%d GB", width="small"),
        "disk_count": number("disks", format="%d", width="small"),
        "bandwidth_tb": number("transfer", format="%g TB", help="monthly transfer included", width="small"),
        "price": number(f"$/{unit}", format=money_format,
                        help=None if per == "month" else "the API's hourly price; ≈ estimate: monthly / 672 h"),
        "hourly_source": st.column_config.TextColumn("hourly price", help="API, or ≈ estimate = monthly / 672 h "
                                                     "(Vultr's monthly billing cap)", width="small"),
        "price_per_vcpu": number(f"$/vCPU/{unit}", format=ratio_format),
        "price_per_gb_ram": number(f"$/GB RAM/{unit}", format=ratio_format),
        "is_in_stock": st.column_config.CheckboxColumn("in stock", width="small"),
    }


OPTIONAL = ["plan_type", "disk_count", "bandwidth_tb", "hourly_source", "price_per_vcpu", "price_per_gb_ram",
            "is_in_stock"]
ALWAYS = ["rank", "plan_id", "vcpu_count", "ram_gb", "disk_gb", "price"]
DEFAULT_SHOWN = ["plan_type", "bandwidth_tb", "price_per_vcpu", "price_per_gb_ram", "is_in_stock"]


def ranking(ranked: pd.DataFrame, per: str, name: str, anywhere: bool = False) -> None:
    """The grid with a column picker, then the CSV download of the exact rows."""
    config = column_config(per)
    if "finder.columns" not in st.session_state:
        st.session_state["finder.columns"] = DEFAULT_SHOWN
    shown = st.multiselect("Columns", OPTIONAL, key="finder.columns", format_func=lambda c: config[c].get("label", c),
                           placeholder="more columns")
    if per == "hour" and "hourly_source" not in shown:
        shown = [*shown, "hourly_source"]  # an hourly estimate is always marked as one
    always = [*ALWAYS[:2], "region_id", "region_count", *ALWAYS[2:]] if anywhere else ALWAYS
    columns = [c for c in [*always, *OPTIONAL] if c in always or c in shown]
    frame = display_frame(ranked, per)[columns]
    ui.table(ranked, name, column_config=config, shown_grid=frame)
