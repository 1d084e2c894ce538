"""Cheapest plan: pick a region and the minimum you need; the answer is one sentence, then the ranking.

Every filter lives in the URL (?region=fra&type=vhf&min_vcpu=2...), so any view is a shareable link.
The ranking is the CLI's (`vultr-catalog cheapest`): cheapest monthly first, then more vCPUs, more RAM, plan_id.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from app import data, ui
from app.formatting import answer_sentence, hourly_usd, money
from pipeline.queries import PlanFilter

ANY = "any"
STOCK_OPTIONS = {"in_stock": "In stock only", "offered": "Offered (incl. sold out)"}
DEFAULT_REGION = "ewr"
DEFAULTS = {"type": ANY, "min_vcpu": 0, "min_ram_mb": 0, "min_disk_gb": 0, "max_price": None, "stock": "in_stock"}


def non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def price(text: str) -> float:
    try:
        return float(Decimal(text))
    except InvalidOperation:
        raise ValueError(text) from None


def seed_region(region_ids: list[str]) -> None:
    """Region from the URL; an unknown one is remembered to explain, and nothing is preselected."""
    if "finder.region" in st.session_state:
        return
    wanted = st.query_params.get("region")
    fallback = DEFAULT_REGION if DEFAULT_REGION in region_ids else (region_ids or [None])[0]
    if wanted and wanted not in region_ids:
        st.session_state["finder.unknown_region"] = wanted
        st.session_state["finder.region"] = None
    else:
        st.session_state["finder.region"] = wanted or fallback


def filters(region_ids: list[str], names: dict[str, str], plan_types: list[str]) -> dict:
    seed_region(region_ids)
    ui.seed_from_url("finder.type", "type", ANY, lambda t: t if t in plan_types else ANY)
    for name in ("min_vcpu", "min_ram_mb", "min_disk_gb"):
        ui.seed_from_url(f"finder.{name}", name, 0, non_negative)
    ui.seed_from_url("finder.max_price", "max_price", None, price)
    ui.seed_from_url("finder.stock", "stock", "in_stock", lambda s: s if s in STOCK_OPTIONS else "in_stock")
    row = st.columns([3, 2, 2, 2, 2, 2])
    row[0].selectbox("Region", region_ids, key="finder.region", placeholder="Choose a region",
                     format_func=lambda r: f"{names.get(r, r)} [{r}]")
    row[1].selectbox("Plan type", [ANY, *plan_types], key="finder.type")
    row[2].number_input("Min vCPUs", min_value=0, step=1, key="finder.min_vcpu")
    row[3].number_input("Min RAM (MB)", min_value=0, step=1024, key="finder.min_ram_mb")
    row[4].number_input("Min disk (GB)", min_value=0, step=25, key="finder.min_disk_gb")
    row[5].number_input("Max $/month", min_value=0.0, step=5.0, key="finder.max_price", placeholder="no limit")
    st.radio("Stock", list(STOCK_OPTIONS), key="finder.stock", format_func=STOCK_OPTIONS.get, horizontal=True,
             label_visibility="collapsed")
    state = {name: st.session_state[f"finder.{name}"] for name in ("region", *DEFAULTS)}
    if state["region"] is not None:
        st.session_state.pop("finder.unknown_region", None)
    return state


def ranked_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """What the table shows: rank, specs, monthly, hourly, $/vCPU and $/GB RAM."""
    shown = pd.DataFrame({
        "rank": range(1, len(ranked) + 1),
        "plan_id": ranked["plan_id"], "plan_type": ranked["plan_type"],
        "vcpu_count": ranked["vcpu_count"], "ram_gb": ranked["ram_mb"] / 1024,
        "disk_gb": ranked["disk_gb"], "disk_count": ranked["disk_count"],
        "monthly_cost_usd": ranked["monthly_cost_usd"],
        "hourly_cost_usd": [hourly_usd(m, h) for m, h in zip(ranked["monthly_cost_usd"], ranked["hourly_cost_usd"])],
        "monthly_cost_per_vcpu_usd": ranked["monthly_cost_per_vcpu_usd"],
        "monthly_cost_per_gb_ram_usd": ranked["monthly_cost_per_gb_ram_usd"],
        "bandwidth_gb": ranked["bandwidth_gb"], "is_in_stock": ranked["is_in_stock"],
        # no hourly price from the API: the shown one is monthly / 672 h, an estimate (labelled so)
        "is_hourly_estimate": ranked["hourly_cost_usd"].isna().tolist(),
    })
    return shown.reset_index(drop=True)


MONEY_COLUMNS = {"monthly_cost_usd": "$/month", "hourly_cost_usd": "$/hour", "monthly_cost_per_vcpu_usd": "$/vCPU",
                 "monthly_cost_per_gb_ram_usd": "$/GB RAM"}


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The ranking as displayed: money as exact text, friendlier headers (the CSV keeps the raw columns)."""
    shown = table.copy()
    for column, header in MONEY_COLUMNS.items():
        shown[column] = shown[column].map(money)
    shown["hourly_cost_usd"] = [f"{h} (estimate)" if est else h
                                for h, est in zip(shown["hourly_cost_usd"], shown.pop("is_hourly_estimate"))]
    shown["is_in_stock"] = shown["is_in_stock"].map({True: "yes", False: "sold out"})
    shown["ram_gb"] = shown["ram_gb"].map(lambda gb: f"{gb:g}")  # 0.5, 1, 2: not 2.0000
    return shown.rename(columns={**MONEY_COLUMNS, "vcpu_count": "vCPUs", "ram_gb": "RAM (GB)", "disk_gb": "disk (GB)",
                                 "disk_count": "disks", "bandwidth_gb": "bandwidth (GB)", "is_in_stock": "in stock"})


@st.fragment
def finder(region_ids: list[str], names: dict[str, str], plan_types: list[str]) -> None:
    """Filters and answer as one fragment: a filter change reruns only this, not the page frame."""
    state = filters(region_ids, names, plan_types)
    unknown = st.session_state.get("finder.unknown_region")
    if unknown:
        st.error(f"Unknown region {unknown!r} in the link. Regions: {', '.join(region_ids)}")
    ui.write_url({**state, "region": state["region"] or unknown}, {**DEFAULTS, "region": None})
    if state["region"] is None:
        st.info("Choose a region to see the cheapest plan.")
        return
    answer(state, names)


def answer(state: dict, names: dict[str, str]) -> None:
    max_price = None if state["max_price"] is None else Decimal(str(state["max_price"]))
    plan_filter = PlanFilter(
        region_id=state["region"], plan_type=None if state["type"] == ANY else state["type"],
        min_vcpu=int(state["min_vcpu"]), min_ram_mb=int(state["min_ram_mb"]), min_disk_gb=int(state["min_disk_gb"]),
        max_monthly_cost_usd=max_price, in_stock_only=state["stock"] == "in_stock")
    ranked = data.cheapest(plan_filter)
    sentence = answer_sentence(ranked, names.get(state["region"], state["region"]), plan_filter.plan_type,
                               plan_filter.in_stock_only)
    st.markdown(f"### {ui.md_escape(sentence)}")
    st.caption(f"{len(ranked)} matching plans, ranked like `vultr-catalog cheapest`: cheapest monthly price first, "
               "then more vCPUs, more RAM, plan id.")
    table = ranked_table(ranked)
    ui.table(table, f"cheapest-{state['region']}", shown=shown_table(table))
    st.caption(ui.md_escape("$/hour is the API's hourly price where it gives one; else monthly / 672 h "
                            "(Vultr's monthly billing cap), marked (estimate)."))


st.title("Cheapest plan")
regions = data.regions()
region_ids = regions["region_id"].tolist()
city_names = {r: f"{c}" for r, c in zip(regions["region_id"], regions["city"])}
finder(region_ids, city_names, sorted(data.plans()["plan_type"].dropna().unique().tolist()))
