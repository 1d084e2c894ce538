"""Data health: how fresh the catalog is and the recent snapshots with their status and errors."""
from __future__ import annotations

import streamlit as st

from app import data, ui
from app.formatting import age_text, duration_text

EMULATOR = "bundled emulator (demo)"

st.title("Data health")
fresh = data.freshness()
cols = st.columns(4)
cols[0].metric("Last successful snapshot", f"#{fresh['last_ok_snapshot_id']}" if fresh["last_ok_snapshot_id"] else "none")
cols[1].metric("Age", age_text(fresh["age_s"]))
cols[2].metric("Snapshots published", fresh["snapshot_count"])
cols[3].metric("Data", "demo data" if fresh["is_demo"] else "live")
threshold_text = duration_text(fresh["stale_after_s"]) + (
    " by default: no schedule interval recorded" if fresh["stale_after_is_default"] else
    ": twice the schedule's interval")
if fresh["is_stale"]:
    st.warning(f"The catalog is stale (last successful snapshot {age_text(fresh['age_s'])}, threshold "
               f"{threshold_text}): run `vultr-catalog collect` or check the scheduler.")
else:
    st.success(f"Fresh: last successful snapshot {age_text(fresh['age_s'])} (stale after {threshold_text}).")
if fresh["is_demo"]:
    st.info("This is **demo data**: hourly snapshots of the bundled emulator on a simulated clock.")

st.subheader("Recent snapshots")
st.caption("Only successful snapshots are published to the catalog; a failed collection publishes nothing and "
           "is recorded with its error in the private warehouse (the dashboard keeps showing the last good one).")
limit = st.number_input("Show the last", min_value=1, max_value=1000, value=50, step=10, key="health.limit")
snapshots = data.snapshots(limit=int(limit))
if "base_url" in snapshots and "is_simulated" in snapshots:  # the demo's emulator listened on a throwaway port
    snapshots = snapshots.assign(base_url=snapshots["base_url"].where(~snapshots["is_simulated"].fillna(False).astype(bool),
                                                                      EMULATOR))
ui.table(snapshots, "snapshots")

st.subheader("Schema drift")
drift = data.schema_drift()
if drift.empty:
    st.success("Every plan and region field the API sends is modelled.")
else:
    named = ", ".join(f"`{e}.{f}` (since snapshot #{s})" for e, f, s in
                      zip(drift["entity"], drift["field"], drift["first_snapshot_id"]))
    st.warning(f"The API sends {len(drift)} field(s) the model does not know: {named}. They are kept in the raw "
               "layer and collection goes on; a release can model them and `rebuild` re-derives the history.")
    ui.table(drift, "schema-drift")
