"""Cheapest plan: pick a region and the minimum you need; the answer is one sentence, then the ranking
as a sortable grid (column picker, plan search, monthly or hourly prices).

Every filter lives in the URL (?region=fra&type=vhf&min_vcpu=2&min_ram_gb=4...), so any view is a
shareable link. The ranking is the CLI's (`vultr-catalog cheapest`): cheapest monthly first, then more
vCPUs, more RAM, plan_id.
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from app import data, grid, ui
from app.formatting import answer_sentence, plural
from pipeline.queries import ANY_REGION, PlanFilter

ANY = "any"
STOCK_OPTIONS = {"in_stock": "In stock only", "offered": "Offered (incl. sold out)"}
PER_OPTIONS = {"month": "$/month", "hour": "$/hour"}
DEFAULT_REGION = "ewr"
DEFAULTS = {"type": ANY, "continent": ANY, "min_vcpu": 0, "min_ram_gb": 0.0, "min_disk_gb": 0, "max_price": None,
            "stock": "in_stock", "q": "", "per": "month"}


def non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def amount(text: str) -> float:
    """A finite amount >= 0 from a link (nan, inf, negatives and words are refused)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value < 0:
        raise ValueError(text)
    return float(value)


def seed_region(region_ids: list[str]) -> None:
    """Region from the URL (any case); an unknown one is remembered to explain, nothing preselected."""
    if "finder.region" in st.session_state:
        return
    wanted = (st.query_params.get("region") or "").strip().lower()
    fallback = DEFAULT_REGION if DEFAULT_REGION in region_ids else (region_ids or [None])[0]
    if wanted and wanted not in region_ids and wanted != ANY_REGION:
        st.session_state["finder.unknown_region"] = wanted
        st.session_state["finder.region"] = None
    else:
        st.session_state["finder.region"] = wanted or fallback


def seed_ram() -> None:
    """min_ram_gb from the link; older links with min_ram_mb still work (converted to GB)."""
    if "finder.min_ram_gb" in st.session_state:
        return
    if st.query_params.get("min_ram_gb") is None and st.query_params.get("min_ram_mb") is not None:
        ui.seed_from_url("finder.min_ram_gb", "min_ram_mb", 0.0, lambda t: non_negative(t) / 1024, label="RAM (MB)")
    else:
        ui.seed_from_url("finder.min_ram_gb", "min_ram_gb", 0.0, amount, label="min RAM (GB)")


def seed(region_ids: list[str], plan_types: list[str], continents: list[str]) -> None:
    seed_region(region_ids)
    ui.seed_choice("finder.type", "type", ANY, [ANY, *plan_types], label="plan type")
    ui.seed_choice("finder.continent", "continent", ANY, [ANY, *continents], label="continent")
    for name in ("min_vcpu", "min_disk_gb"):
        ui.seed_from_url(f"finder.{name}", name, 0, non_negative, label=name.replace("_", " "))
    seed_ram()
    ui.seed_from_url("finder.max_price", "max_price", None, amount, label="max price")
    ui.seed_choice("finder.stock", "stock", "in_stock", list(STOCK_OPTIONS), label="stock")
    ui.seed_from_url("finder.q", "q", "", str)
    ui.seed_choice("finder.per", "per", "month", list(PER_OPTIONS), label="price per")


def region_label(region_id: str, names: dict[str, str]) -> str:
    if region_id == ANY_REGION:
        return "Anywhere: each plan in its cheapest region"
    return f"{names.get(region_id, region_id)} [{region_id}]"


def current_state() -> dict:
    """The filters as the widgets hold them (seeded from the link, or as last changed): read before the
    widgets are drawn, so the answer can be sent first."""
    state = {name: st.session_state.get(f"finder.{name}", DEFAULTS.get(name)) for name in ("region", *DEFAULTS)}
    if state["region"] != ANY_REGION:
        state["continent"] = ANY  # only searched anywhere; kept out of the link otherwise
    state["per"] = state["per"] or "month"  # a segmented control can be cleared; month is the default
    return state


def filters(region_ids: list[str], names: dict[str, str], plan_types: list[str], continents: list[str]) -> None:
    row = st.columns([3, 2, 2, 2, 2, 2])
    row[0].selectbox("Region", [ANY_REGION, *region_ids], key="finder.region", placeholder="Choose a region",
                     format_func=lambda r: region_label(r, names))
    row[1].selectbox("Plan type", [ANY, *plan_types], key="finder.type")
    row[2].number_input("Min vCPUs", min_value=0, step=1, key="finder.min_vcpu")
    row[3].number_input("Min RAM (GB)", min_value=0.0, step=1.0, format="%g", key="finder.min_ram_gb")
    row[4].number_input("Min disk (GB)", min_value=0, step=25, key="finder.min_disk_gb")
    row[5].number_input("Max $/month", min_value=0.0, step=5.0, key="finder.max_price", placeholder="no limit")
    row = st.columns([2, 3, 3, 2])
    if st.session_state["finder.region"] == ANY_REGION:
        row[0].selectbox("Continent", [ANY, *continents], key="finder.continent", label_visibility="collapsed",
                         format_func=lambda c: "all continents" if c == ANY else c)
    row = row[1:]
    row[0].radio("Stock", list(STOCK_OPTIONS), key="finder.stock", format_func=STOCK_OPTIONS.get, horizontal=True,
                 label_visibility="collapsed")
    row[1].text_input("Plan search", key="finder.q", placeholder="search plans, e.g. 4c or amd",
                      label_visibility="collapsed")
    row[2].segmented_control("Prices per", list(PER_OPTIONS), key="finder.per", format_func=PER_OPTIONS.get,
                             label_visibility="collapsed")


@st.fragment
def finder(region_ids: list[str], names: dict[str, str], plan_types: list[str], continents: list[str]) -> None:
    """Filters and answer as one fragment: a filter change reruns only this, not the page frame.

    The browser draws elements in the order they are sent, so the answer sentence is sent first (into
    its place below the filters), then the filters, then the grid with its heavy component."""
    seed(region_ids, plan_types, continents)
    controls, notes, sentence = st.container(), st.container(), st.empty()
    state = current_state()
    ranked = None if state["region"] is None else ranking(state, names)
    if ranked is not None:
        sentence.markdown(f"### {ui.md_escape(ranked[1])}")
    with controls:
        filters(region_ids, names, plan_types, continents)
    if state["region"] is not None:
        st.session_state.pop("finder.unknown_region", None)
    unknown = st.session_state.get("finder.unknown_region")
    with notes:
        ui.show_link_errors("finder")
        if unknown:
            st.error(f"Unknown region {unknown!r} in the link. Regions: {', '.join(region_ids)}")
    ui.write_url({**state, "region": state["region"] or unknown}, {**DEFAULTS, "region": None})
    if ranked is None:
        notes.info("Choose a region to see the cheapest plan.")
        return
    table(state, ranked[0])


def plan_filter(state: dict) -> PlanFilter:
    max_price = None if state["max_price"] is None else Decimal(str(state["max_price"]))
    return PlanFilter(
        region_id=state["region"], plan_type=None if state["type"] == ANY else state["type"],
        min_vcpu=int(state["min_vcpu"]), min_ram_mb=math.ceil(float(state["min_ram_gb"]) * 1024),
        min_disk_gb=int(state["min_disk_gb"]), max_monthly_cost_usd=max_price,
        in_stock_only=state["stock"] == "in_stock", continent=None if state["continent"] == ANY else state["continent"])


def ranking(state: dict, names: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """The ranked rows (anywhere: each plan once, in its cheapest region) and the one-sentence answer."""
    chosen = plan_filter(state)
    ranked = data.cheapest(chosen)
    anywhere = state["region"] == ANY_REGION
    if anywhere:  # (plan, region) pairs, cheapest first: keep each plan's cheapest region, count the others
        regions_per_plan = ranked.groupby("plan_id")["region_id"].nunique()
        ranked = ranked.drop_duplicates("plan_id").assign(region_count=lambda f: f["plan_id"].map(regions_per_plan))
    place = (f"any region in {state['continent']}" if state["continent"] != ANY else "any region") if anywhere \
        else names.get(state["region"], state["region"])
    return ranked, answer_sentence(ranked, place, chosen.plan_type, chosen.in_stock_only, names if anywhere else None)


def table(state: dict, ranked: pd.DataFrame) -> None:
    """The caption and the sortable grid under the answer."""
    anywhere = state["region"] == ANY_REGION
    found = grid.search(ranked, state["q"])
    searched = f" ({plural(len(found), 'match', 'matches')} for “{state['q']}”)" if state["q"] else ""
    each = ", each in its cheapest region (`vultr-catalog cheapest --region any`)" if anywhere else ""
    st.caption(f"{plural(len(ranked), 'matching plan')}{searched}{each}, ranked like `vultr-catalog cheapest`: "
               "cheapest monthly price first, then more vCPUs, more RAM, plan id. Click a header to sort.")
    grid.ranking(found, state["per"], f"cheapest-{state['region']}", anywhere)


st.title("Cheapest plan")
regions = data.regions()
region_ids = regions["region_id"].tolist()
city_names = {r: f"{c}" for r, c in zip(regions["region_id"], regions["city"])}
continent_names = sorted(regions["continent"].dropna().unique().tolist())
finder(region_ids, city_names, sorted(data.plans()["plan_type"].dropna().unique().tolist()), continent_names)
