"""vultr-catalog dashboard entry point (run with `vultr-catalog serve`): navigation, sidebar, empty state."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import data, ui

# a local file: a :material/...: or emoji page icon makes the browser fetch it from a CDN
ICON = Path(__file__).resolve().parent / "icon.png"
st.set_page_config(page_title="vultr-catalog", page_icon=str(ICON), layout="wide")

PAGES = {
    "Find": [
        st.Page("app_pages/finder.py", title="Cheapest plan", icon=":material/search:", default=True),
        st.Page("app_pages/compare.py", title="Compare plans", icon=":material/compare_arrows:"),
        st.Page("app_pages/availability.py", title="Availability", icon=":material/public:"),
    ],
    "History": [
        st.Page("app_pages/plan_history.py", title="Plan history", icon=":material/show_chart:"),
        st.Page("app_pages/changes.py", title="What changed", icon=":material/update:"),
    ],
    "Catalog": [
        st.Page("app_pages/regions.py", title="Regions", icon=":material/location_on:"),
        st.Page("app_pages/operating_systems.py", title="Operating systems", icon=":material/terminal:"),
    ],
    "Data": [
        st.Page("app_pages/data_health.py", title="Data health", icon=":material/monitor_heart:"),
        st.Page("app_pages/sql_console.py", title="SQL console", icon=":material/database:"),
    ],
}

if data.fleet_enabled():  # private: shown only when the operator started `serve --fleet`
    PAGES["Account"] = [st.Page("app_pages/fleet.py", title="Your fleet", icon=":material/dns:")]

page = st.navigation(PAGES)
try:
    with data.one_connection():  # this run's reads that miss the cache share one connection
        ui.sidebar_freshness()
        if data.has_catalog():
            page.run()
        else:
            ui.empty_state()
except Exception as exc:  # only a damaged catalog file is explained here; anything else is a bug
    damage = data.catalog_damage(exc)
    if damage is None:
        raise
    st.error(damage)
