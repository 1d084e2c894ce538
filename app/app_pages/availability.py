"""Availability: where each plan is in stock, offered but sold out, or not offered (one matrix, the
table on demand); and the regions on a map."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, data, ui
from app.formatting import plural

ANY = "any"


def offered_only(matrix: pd.DataFrame) -> pd.DataFrame:
    """Drop plans offered nowhere and regions offering nothing: empty rows and columns say nothing."""
    offered = matrix[matrix["status"] != "not_offered"]
    return matrix[matrix["plan_id"].isin(offered["plan_id"]) & matrix["region_id"].isin(offered["region_id"])]


st.title("Availability")
plan_types = sorted(data.plans()["plan_type"].dropna().unique().tolist())
ui.seed_choice("availability.type", "type", ANY, [ANY, *plan_types], label="plan type")
ui.show_link_errors("availability")
st.selectbox("Plan type", [ANY, *plan_types], key="availability.type")
plan_type = st.session_state["availability.type"]
ui.write_url({"type": plan_type}, {"type": ANY})

everything = data.availability_matrix(None if plan_type == ANY else plan_type)
matrix = offered_only(everything)
counts = matrix["status"].value_counts()
hidden_plans = everything["plan_id"].nunique() - matrix["plan_id"].nunique()
hidden_regions = everything["region_id"].nunique() - matrix["region_id"].nunique()
hidden = [plural(n, noun) for n, noun in ((hidden_plans, "plan"), (hidden_regions, "region")) if n]
st.markdown(f"**{counts.get('in_stock', 0):,}** region x plan pairs in stock, **{counts.get('sold_out', 0):,}** "
            f"offered but sold out, **{counts.get('not_offered', 0):,}** not offered "
            f"({plural(matrix['region_id'].nunique(), 'region')}, {plural(matrix['plan_id'].nunique(), 'plan')})."
            + (f" Not shown: {' and '.join(hidden)} offered nowhere." if hidden else ""))

st.subheader("Plan x region")
st.caption("Blue: in stock · orange: offered but sold out · grey: not offered. One row per plan, cheapest first.")
st.altair_chart(charts.availability_chart(matrix), width="stretch")
if st.toggle("Show as a table", key="availability.table"):
    ui.table(matrix, f"availability-{plan_type}", column_config={
        "monthly_cost_usd": st.column_config.NumberColumn("$/month", format="$%.2f")})

st.subheader("Regions on the map")
regions = data.regions()
coordinates = data.region_coordinates()
points = charts.region_points(regions, coordinates, matrix)
st.altair_chart(charts.region_map(points), width="content")
missing = sorted(set(regions["region_id"]) - set(coordinates["region_id"]))
st.caption("Circle size: plans of this type in stock. Land: Natural Earth 1:110m (app/maps). Coordinates: "
           "app/region_coordinates.csv (city centres, see its first line for the source)."
           + (f" No coordinates for: {', '.join(missing)}." if missing else ""))
