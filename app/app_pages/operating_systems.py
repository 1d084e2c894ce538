"""Operating systems Vultr offers; sortable and filterable by family, architecture and name."""
from __future__ import annotations

import streamlit as st

from app import data, ui

st.title("Operating systems")
systems = data.operating_systems()
families = sorted(systems["family"].dropna().unique().tolist())
arches = sorted(systems["arch"].dropna().unique().tolist())
ui.seed_choices("os.family", "family", families, label="family")
ui.seed_choices("os.arch", "arch", arches, label="architecture")
ui.show_link_errors("os")
ui.seed_from_url("os.q", "q", "", str)
row = st.columns([2, 1, 2])
row[0].multiselect("Family", families, key="os.family", placeholder="all families")
row[1].multiselect("Architecture", arches, key="os.arch", placeholder="all")
row[2].text_input("Search name", key="os.q")
family, arch, text = st.session_state["os.family"], st.session_state["os.arch"], st.session_state["os.q"].strip()
ui.write_url({"family": ",".join(family) or None, "arch": ",".join(arch) or None, "q": text or None}, {})

shown = systems
if family:
    shown = shown[shown["family"].isin(family)]
if arch:
    shown = shown[shown["arch"].isin(arch)]
if text:
    shown = shown[shown["name"].str.contains(text, case=False, regex=False)]
windows = int(shown["is_windows"].sum())
st.markdown(f"**{len(shown)}** of {len(systems)} operating systems ({windows} Windows).")
ui.table(shown, "operating-systems")
