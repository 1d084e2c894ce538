"""Regions: where Vultr runs, with how many plans each offers and has in stock; sortable and filterable."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import data, ui


def region_table(regions: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    counts = (matrix.assign(plans_in_stock=matrix["status"].eq("in_stock"),
                            plans_offered=matrix["status"].ne("not_offered"))
              .groupby("region_id", as_index=False)[["plans_offered", "plans_in_stock"]].sum())
    table = regions.merge(counts, on="region_id", how="left").fillna({"plans_offered": 0, "plans_in_stock": 0})
    table["options"] = table["options"].map(lambda o: ", ".join(o) if o is not None and len(o) else "")
    return table[["region_id", "city", "country", "continent", "plans_offered", "plans_in_stock", "options"]]


st.title("Regions")
regions = data.regions()
continents = sorted(regions["continent"].dropna().unique().tolist())
ui.seed_choices("regions.continent", "continent", continents, label="continent")
ui.show_link_errors("regions")
ui.seed_from_url("regions.q", "q", "", str)
row = st.columns([2, 2])
row[0].multiselect("Continent", continents, key="regions.continent", placeholder="all continents")
row[1].text_input("Search city, country or id", key="regions.q")
chosen, text = st.session_state["regions.continent"], st.session_state["regions.q"].strip().lower()
ui.write_url({"continent": ",".join(chosen) or None, "q": text or None}, {})

table = region_table(regions, data.availability_matrix())
if chosen:
    table = table[table["continent"].isin(chosen)]
if text:
    haystack = (table["region_id"] + " " + table["city"].fillna("") + " " + table["country"].fillna("")).str.lower()
    table = table[haystack.str.contains(text, regex=False)]
st.markdown(f"**{len(table)}** of {len(regions)} regions.")
ui.table(table, "regions")
