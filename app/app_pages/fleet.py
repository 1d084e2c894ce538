"""Your fleet (only with `vultr-catalog serve --fleet`): your servers, read live, priced against the catalog."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import data, ui
from app.formatting import money
from pipeline import queries

ui.page_header("Your fleet", "Read live from your Vultr account (VULTR_API_KEY) each time this page loads and "
                             "never stored; prices are the published catalog's, in each server's region, now.")
try:
    costs = data.fleet()
except queries.CatalogError as exc:  # ConfigError (no key) is one too
    st.error(queries.first_line(exc))
    st.stop()

totals = queries.fleet_totals(costs)
cols = st.columns(4)
cols[0].metric("Servers", totals["server_count"])
cols[1].metric("Per month now", money(totals["monthly_cost_usd"]))
cols[2].metric("At the cheapest equivalents", money(totals["cheapest_monthly_cost_usd"]))
cols[3].metric("Saving per month", money(totals["monthly_saving_usd"]))
st.caption(queries.fleet_total_line(totals))


def _flags(row: pd.Series) -> str:
    flags = []
    if row["is_plan_retired"] is True:
        flags.append("retired plan")
    elif row["is_plan_in_stock"] is False:
        flags.append("sold out here")
    if row["price_changed_since_created"] is True:
        flags.append("price changed since created")
    return ", ".join(flags)


def _money_or_dash(value: object) -> str:
    return "—" if value is None or pd.isna(value) else money(value)


shown = pd.DataFrame({
    "Server": costs["label"].where(costs["label"] != "", costs["server_id"]),
    "Region": costs["region_id"], "Plan": costs["plan_id"],
    "Now /mo": costs["monthly_cost_usd"].map(_money_or_dash),
    "Cheapest equivalent in stock": costs["cheapest_plan_id"].fillna("—"),
    "Its price /mo": costs["cheapest_monthly_cost_usd"].map(_money_or_dash),
    "Saving /mo": costs["monthly_saving_usd"].map(_money_or_dash),
    "Flags": costs.apply(_flags, axis=1) if len(costs) else pd.Series(dtype=str),
})
if costs.empty:
    st.info("No servers in this account.")
else:
    ui.table(costs, "fleet", shown=shown)
