"""Cheapest plan: pick a region and the minimum you need; the answer is one sentence naming the grid's
first row, then the ranking as a grid (column picker, sort, plan search, monthly or hourly prices).

Every filter, the chosen columns and the sort live in the URL (?region=fra&type=vhf&min_vcpu=2&gpu_type=...
&columns=plan_type,gpu_type&sort=-vcpu_count), so any view is a shareable link (the parameters are the
static site's too: docs/finder.md). The ranking is the CLI's (`vultr-catalog cheapest`): cheapest
monthly first, then more vCPUs, more RAM, plan_id. `region=any` lists each plan once, in its cheapest
region, like the CLI (pipeline.queries.shape); `each_region=1` lists every (plan, region).
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from app import data, grid, ui
from app.formatting import answer_sentence, plural
from pipeline.queries import ANY_REGION, PlanFilter, one_per_plan_frame

ANY = "any"
STOCK_OPTIONS = {"in_stock": "In stock only", "offered": "Offered (incl. sold out)"}
PER_OPTIONS = {"month": "$/month", "hour": "$/hour"}
DEFAULT_REGION = "ewr"
DEFAULTS = {"type": ANY, "continent": ANY, "min_vcpu": 0, "min_ram_gb": 0.0, "min_disk_gb": 0, "max_price": None,
            "stock": "in_stock", "q": "", "per": "month", "gpu_type": ANY, "min_gpu_vram_gb": 0, "cpu_vendor": ANY,
            "cpu_allocation": ANY, "each_region": False, "sort": ""}
DEFAULT_COLUMNS = ",".join(grid.DEFAULT_SHOWN)


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
    fallback = DEFAULT_REGION if DEFAULT_REGION in region_ids else (region_ids[0] if region_ids else None)
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


def seed_sort() -> None:
    """sort=key or sort=-key (grid.SORTABLE); an unknown key is explained, the ranking kept."""
    choices = [f"{sign}{key}" for key in grid.SORTABLE for sign in ("", "-")]
    ui.seed_choice("finder.sort", "sort", "", ["", *choices], label="sort")


def seed(region_ids: list[str], choices: dict[str, list[str]]) -> None:
    seed_region(region_ids)
    for name, label in (("type", "plan type"), ("continent", "continent"), ("gpu_type", "GPU type"),
                        ("cpu_vendor", "CPU vendor"), ("cpu_allocation", "CPU allocation")):
        ui.seed_choice(f"finder.{name}", name, ANY, [ANY, *choices[name]], label=label)
    for name in ("min_vcpu", "min_disk_gb", "min_gpu_vram_gb"):
        ui.seed_from_url(f"finder.{name}", name, 0, non_negative, label=name.replace("_", " "))
    seed_ram()
    ui.seed_from_url("finder.max_price", "max_price", None, amount, label="max price")
    ui.seed_choice("finder.stock", "stock", "in_stock", list(STOCK_OPTIONS), label="stock")
    ui.seed_from_url("finder.q", "q", "", str)
    ui.seed_choice("finder.per", "per", "month", list(PER_OPTIONS), label="price per")
    ui.seed_from_url("finder.each_region", "each_region", False, lambda t: t.strip().lower() in ("1", "true", "yes"))
    if "finder.shown" not in st.session_state:
        ui.seed_choices("finder.shown", "columns", grid.OPTIONAL, label="column")
        if st.query_params.get("columns") is None:
            st.session_state["finder.shown"] = list(grid.DEFAULT_SHOWN)
    seed_sort()


def region_label(region_id: str, names: dict[str, str]) -> str:
    return "Any region" if region_id == ANY_REGION else f"{names.get(region_id, region_id)} [{region_id}]"


def current_state() -> dict:
    """The filters as the widgets hold them (seeded from the link, or as last changed): read before the
    widgets are drawn, so the answer can be sent first."""
    state = {name: st.session_state.get(f"finder.{name}", DEFAULTS.get(name)) for name in ("region", *DEFAULTS)}
    if state["region"] != ANY_REGION:
        state["continent"], state["each_region"] = ANY, False  # only searched anywhere; kept out of the link
    state["per"] = state["per"] or "month"  # a segmented control can be cleared; month is the default
    state["sort"] = state["sort"] or ""
    state["columns"] = list(st.session_state.get("finder.shown", grid.DEFAULT_SHOWN))
    return state


def filters(region_ids: list[str], names: dict[str, str], choices: dict[str, list[str]]) -> None:
    row = st.columns([3, 2, 2, 2, 2, 2])
    row[0].selectbox("Region", [ANY_REGION, *region_ids], key="finder.region", placeholder="Choose a region",
                     format_func=lambda r: region_label(r, names))
    row[1].selectbox("Plan type", [ANY, *choices["type"]], key="finder.type")
    row[2].number_input("Min vCPUs", min_value=0, step=1, key="finder.min_vcpu")
    row[3].number_input("Min RAM (GB)", min_value=0.0, step=1.0, format="%g", key="finder.min_ram_gb")
    row[4].number_input("Min disk (GB)", min_value=0, step=25, key="finder.min_disk_gb")
    row[5].number_input("Max $/month", min_value=0.0, step=5.0, key="finder.max_price", placeholder="no limit")
    row = st.columns([3, 2, 2, 2, 2, 2])
    row[0].selectbox("GPU type", [ANY, *choices["gpu_type"]], key="finder.gpu_type")
    row[1].number_input("Min VRAM (GB)", min_value=0, step=8, key="finder.min_gpu_vram_gb", help="GPU memory")
    row[2].selectbox("CPU vendor", [ANY, *choices["cpu_vendor"]], key="finder.cpu_vendor")
    row[3].selectbox("CPU allocation", [ANY, *choices["cpu_allocation"]], key="finder.cpu_allocation")
    if st.session_state["finder.region"] == ANY_REGION:
        row[4].selectbox("Continent", [ANY, *choices["continent"]], key="finder.continent")
        row[5].checkbox("All regions", key="finder.each_region",
                        help="one row per (plan, region) instead of each plan once, in its cheapest region")
    row = st.columns([3, 4, 2])
    row[0].radio("Stock", list(STOCK_OPTIONS), key="finder.stock", format_func=STOCK_OPTIONS.get, horizontal=True,
                 label_visibility="collapsed")
    row[1].text_input("Plan search", key="finder.q", placeholder="search plan, type, CPU vendor, GPU (e.g. amd, gpu)",
                      label_visibility="collapsed")
    row[2].segmented_control("Prices per", list(PER_OPTIONS), key="finder.per", format_func=PER_OPTIONS.__getitem__,
                             label_visibility="collapsed")


def keep_columns(key: str) -> None:
    st.session_state["finder.shown"] = list(st.session_state[key])


def grid_controls(state: dict) -> None:
    """The column picker and the sort, above the grid, labelled per the $/month or $/hour toggle. The
    picker's chosen columns are kept in `finder.shown`: a picker holds the labels it shows, so each price
    mode has its own picker, set from the same choice (a toggle relabels them and loses none)."""
    config = grid.column_config(state["per"])
    key = f"finder.columns.{state['per']}"
    st.session_state[key] = state["columns"]
    row = st.columns([4, 2])
    row[0].multiselect("Columns", grid.OPTIONAL, key=key, placeholder="more columns", on_change=keep_columns,
                       args=(key,), format_func=lambda c: config[c]["label"])
    sorts = ["", *(f"{sign}{key}" for key in grid.SORTABLE for sign in ("", "-"))]
    row[1].selectbox("Sort", sorts, key="finder.sort", format_func=lambda s: grid.sort_label(s, state["per"]))


@st.fragment
def finder(region_ids: list[str], names: dict[str, str], choices: dict[str, list[str]]) -> None:
    """Filters and answer as one fragment: a filter change reruns only this, not the page frame.

    The browser draws elements in the order they are sent, so the answer sentence is sent first (into
    its place below the filters), then the filters, then the grid with its heavy component."""
    seed(region_ids, choices)
    controls, notes, sentence = st.container(), st.container(), st.empty()
    state = current_state()
    result = None if state["region"] is None else ranking(state, names)
    if result is not None:
        sentence.markdown(f"### {ui.md_escape(result[2])}")
    with controls:
        filters(region_ids, names, choices)
    if state["region"] is not None:
        st.session_state.pop("finder.unknown_region", None)
    unknown = st.session_state.get("finder.unknown_region")
    with notes:
        ui.show_link_errors("finder")
        if unknown:
            st.error(f"Unknown region {unknown!r} in the link. Regions: {', '.join(region_ids)}")
    link = {**state, "region": state["region"] or unknown, "columns": ",".join(state["columns"]),
            "each_region": 1 if state["each_region"] else None}
    ui.write_url(link, {**DEFAULTS, "region": None, "columns": DEFAULT_COLUMNS})
    if result is None:
        notes.info("Choose a region to see the cheapest plan.")
        return
    table(state, *result[:2])


def plan_filter(state: dict) -> PlanFilter:
    max_price = None if state["max_price"] is None else Decimal(str(state["max_price"]))
    chosen = {name: None if state[name] == ANY else state[name] for name in ("type", "continent", "gpu_type",
                                                                             "cpu_vendor", "cpu_allocation")}
    return PlanFilter(
        region_id=state["region"], plan_type=chosen["type"],
        min_vcpu=int(state["min_vcpu"]), min_ram_mb=math.ceil(float(state["min_ram_gb"]) * 1024),
        min_disk_gb=int(state["min_disk_gb"]), max_monthly_cost_usd=max_price,
        in_stock_only=state["stock"] == "in_stock", continent=chosen["continent"], gpu_type=chosen["gpu_type"],
        min_gpu_vram_gb=int(state["min_gpu_vram_gb"]) or None, cpu_vendor=chosen["cpu_vendor"],
        cpu_allocation=chosen["cpu_allocation"])


def ranking(state: dict, names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(the exact rows, the grid's rows as shown: searched and sorted, the sentence naming its first row).
    Anywhere: each plan once in its cheapest region, as the CLI (unless each_region)."""
    chosen = plan_filter(state)
    ranked = data.cheapest(chosen)
    anywhere = state["region"] == ANY_REGION
    if anywhere and not state["each_region"]:
        ranked = one_per_plan_frame(ranked)
    found = grid.search(ranked, state["q"]).reset_index(drop=True)
    shown = grid.sort_frame(grid.display_frame(found, state["per"]), state["sort"])
    found = found.iloc[shown.index].reset_index(drop=True)  # the download in the grid's order
    place = (f"any region in {state['continent']}" if state["continent"] != ANY else "any region") if anywhere \
        else names.get(state["region"], state["region"])
    lead = "Cheapest" if state["sort"] in ("", "price") else f"First (by {grid.sort_label(state['sort'], state['per'])})"
    sentence = answer_sentence(found, place, chosen.plan_type, chosen.in_stock_only, names if anywhere else None,
                               per=state["per"], lead=lead, query=state["q"])
    return found, shown.reset_index(drop=True), sentence


def table(state: dict, found: pd.DataFrame, shown: pd.DataFrame) -> None:
    """The caption, the column picker and sort, and the grid under the answer."""
    anywhere = state["region"] == ANY_REGION
    searched = f" for “{state['q']}”" if state["q"] else ""
    each = ("" if not anywhere else ", one row per plan and region" if state["each_region"]
            else ", each plan once in its cheapest region (`vultr-catalog cheapest --region any`)")
    st.caption(f"{plural(len(found), 'matching plan')}{searched}{each}; ranked like `vultr-catalog cheapest`: "
               "cheapest monthly price first, then more vCPUs, more RAM, plan id. The headline is the first row.")
    grid_controls(state)
    columns = grid.shown_columns(state["columns"], state["per"], anywhere, state["stock"] == "in_stock")
    grid.ranking(found, shown, state["per"], f"cheapest-{state['region']}", columns)


def choices_from_catalog(plans: pd.DataFrame, regions: pd.DataFrame) -> dict[str, list[str]]:
    """The values each choice filter offers, from the catalog as published."""
    def values(frame: pd.DataFrame, column: str) -> list[str]:
        return sorted(frame[column].dropna().unique().tolist()) if column in frame else []

    return {"type": values(plans, "plan_type"), "continent": values(regions, "continent"),
            "gpu_type": values(plans, "gpu_type"), "cpu_vendor": values(plans, "cpu_vendor"),
            "cpu_allocation": values(plans, "cpu_allocation")}


st.title("Cheapest plan")
regions = data.regions()
region_ids = regions["region_id"].tolist()
city_names = {r: f"{c}" for r, c in zip(regions["region_id"], regions["city"])}
finder(region_ids, city_names, choices_from_catalog(data.plans(), regions))
