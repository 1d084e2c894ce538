"""vultr-catalog dashboard entry point (run with `vultr-catalog serve`)."""
from __future__ import annotations

import streamlit as st

from pipeline import queries
from pipeline.errors import NoCatalogError

st.set_page_config(page_title="vultr-catalog", layout="wide")
st.title("Vultr plans")
try:
    with queries.catalog() as con:
        plans = con.execute("select * from plans order by plan_type, monthly_cost_usd, plan_id").df()
except NoCatalogError as exc:
    st.info(f"{exc}")
else:
    st.caption(f"{len(plans)} plans in the latest snapshot")
    st.dataframe(plans, hide_index=True)
