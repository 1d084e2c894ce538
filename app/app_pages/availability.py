"""Availability: where each plan is in stock, offered but sold out, or not offered; and the regions on a map."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, ui

ANY = "any"
SYMBOLS = {"in_stock": "●", "sold_out": "○", "not_offered": ""}


def matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """Wide region x plan table: ● in stock, ○ offered but sold out, blank not offered."""
    wide = matrix.assign(cell=matrix["status"].map(SYMBOLS)).pivot(index="region_id", columns="plan_id", values="cell")
    order = matrix.drop_duplicates("plan_id").sort_values(["monthly_cost_usd", "plan_id"])["plan_id"].tolist()
    return wide.reindex(columns=order).reset_index().rename_axis(columns=None)


st.title("Availability")
plan_types = sorted(data.plans()["plan_type"].dropna().unique().tolist())
ui.seed_from_url("availability.type", "type", ANY, lambda t: t if t in plan_types else ANY)
st.selectbox("Plan type", [ANY, *plan_types], key="availability.type")
plan_type = st.session_state["availability.type"]
ui.write_url({"type": plan_type}, {"type": ANY})

matrix = data.availability_matrix(None if plan_type == ANY else plan_type)
counts = matrix["status"].value_counts()
st.markdown(f"**{counts.get('in_stock', 0)}** region x plan pairs in stock, **{counts.get('sold_out', 0)}** "
            f"offered but sold out, **{counts.get('not_offered', 0)}** not offered "
            f"({matrix['region_id'].nunique()} regions, {matrix['plan_id'].nunique()} plans).")

st.subheader("Region x plan")
st.caption("● in stock · ○ offered but sold out · blank: not offered")
ui.table(matrix_table(matrix), f"availability-matrix-{plan_type}")
st.altair_chart(charts.availability_chart(matrix), width="stretch")
ui.table(matrix, f"availability-long-{plan_type}")

st.subheader("Regions on the map")
regions = data.regions()
coordinates = data.region_coordinates()
points = charts.region_points(regions, coordinates, matrix)
st.altair_chart(charts.region_map(points), width="stretch")
missing = sorted(set(regions["region_id"]) - set(coordinates["region_id"]))
st.caption("Circle size: plans of this type in stock. Coordinates: app/region_coordinates.csv (city centres, "
           "see its first line for the source)." + (f" No coordinates for: {', '.join(missing)}." if missing else ""))
