"""Compare plans: pick 2 to 4 and see them side by side, each against the first (?plans=a,b,c), at their
base prices or at one region's (?region=sao)."""
from __future__ import annotations

import streamlit as st

from app import compare, data, ui

MAX_PLANS = 4
BASE = ""  # "Prices in": the base prices (no region in the link)
DEFAULT = ["vc2-1c-1gb", "vhf-1c-1gb"]


def parse_plans(text: str, plan_ids: list[str]) -> list[str]:
    """Plan ids from the link, any case, at most four; an unknown one is explained."""
    wanted = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in plan_ids]
    if unknown:
        st.session_state.setdefault("_link_errors", {})["compare.plans"] = (
            f"Unknown plan {', '.join(map(repr, unknown))} in the link; `vultr-catalog sql \"select plan_id "
            "from plans\"` lists them, or pick below.")
    return [p for p in dict.fromkeys(wanted) if p in plan_ids][:MAX_PLANS]


st.title("Compare plans")
plans = compare.with_stock_counts(data.plans(), data.availability_matrix())
plan_ids = plans["plan_id"].tolist()
default = [p for p in DEFAULT if p in plan_ids] or plan_ids[:2]
ui.seed_from_url("compare.plans", "plans", default, lambda t: parse_plans(t, plan_ids))
ui.show_link_errors("compare")
names = data.region_names()
region_ids = sorted(names)
ui.seed_choice("compare.region", "region", BASE, [BASE, *region_ids], label="region")
row = st.columns([4, 2])
chosen = row[0].multiselect("Plans (2 to 4; the first is the reference)", plan_ids, key="compare.plans",
                            max_selections=MAX_PLANS, placeholder="type to search plans")
region_id = row[1].selectbox("Prices in", [BASE, *region_ids], key="compare.region",
                             format_func=lambda r: "base prices" if r == BASE else f"{names.get(r, r)} [{r}]")
ui.write_url({"plans": ",".join(chosen) or None, "region": region_id or None}, {"plans": ",".join(default)})
if len(chosen) < 2:
    st.info("Pick at least two plans to compare.")
    st.stop()
if region_id:
    plans = compare.at_region_prices(plans, data.plan_prices(region_id=region_id))
table = compare.side_by_side(plans, chosen)
st.markdown(f"**{len(chosen)} plans**, each against **{ui.md_escape(chosen[0])}** (percentages: difference from it).")
st.table(table.set_index(""))
where = f"in {names.get(region_id, region_id)} (— where not offered there)" if region_id else "base prices"
st.caption(f"Prices: {where}. ≈ marks an estimated hourly price (monthly / 672 h) where the API gives none. "
           "Regions: now.")
