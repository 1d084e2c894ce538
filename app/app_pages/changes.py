"""What changed at Vultr: the change feed (filter by entity, region and time) and the in-stock ratio per region."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from app import data, ui
from app.formatting import change_text, plural
from pipeline import queries

ANY = "any"
ENTITIES = tuple(sorted(queries.ENTITY_NAMES))
DEFAULTS = {"entity": ANY, "region": ANY, "since": None, "until": None}
FEED_LIMIT = 1000  # rows drawn; the count above the feed is the total
FEED_COLUMNS = {"changed_at": st.column_config.DatetimeColumn("changed at (UTC)", format="YYYY-MM-DD HH:mm"),
                "old_value": None, "new_value": None}  # in the change text (money as money); in the CSV as stored


def day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def feed(changes: pd.DataFrame) -> pd.DataFrame:
    described = [change_text(*row) for row in changes[
        ["entity", "entity_id", "region_id", "change_type", "field", "old_value", "new_value"]].itertuples(index=False)]
    return changes.assign(change=described)[["changed_at", "change", *changes.columns.drop("changed_at")]]


def region_ratios(summary: pd.DataFrame) -> pd.DataFrame:
    """Per region: plans in stock now, plans ever offered, mean in-stock ratio over 30 days."""
    grouped = summary.groupby("region_id", as_index=False).agg(
        plans_in_stock_now=("in_stock_now", "sum"), plans_seen=("plan_id", "nunique"),
        in_stock_ratio_30d=("in_stock_ratio_30d", "mean"))
    return grouped.sort_values(["in_stock_ratio_30d", "region_id"], ascending=[False, True])


st.title("What changed at Vultr")
region_ids = data.regions()["region_id"].tolist()
ui.seed_choice("changes.entity", "entity", ANY, [ANY, *ENTITIES], label="entity")
ui.seed_choice("changes.region", "region", ANY, [ANY, *region_ids], label="region")
ui.seed_from_url("changes.since", "since", None, date.fromisoformat, label="day (YYYY-MM-DD)")
ui.seed_from_url("changes.until", "until", None, date.fromisoformat, label="day (YYYY-MM-DD)")
ui.show_link_errors("changes")
row = st.columns(4)
row[0].selectbox("Entity", [ANY, *ENTITIES], key="changes.entity")
row[1].selectbox("Region", [ANY, *region_ids], key="changes.region")
row[2].date_input("Since (UTC day)", key="changes.since", value=None)
row[3].date_input("Until (UTC day, inclusive)", key="changes.until", value=None)
state = {name: st.session_state[f"changes.{name}"] for name in DEFAULTS}
ui.write_url({**state, "since": state["since"] and state["since"].isoformat(),
              "until": state["until"] and state["until"].isoformat()}, DEFAULTS)

entity = None if state["entity"] == ANY else state["entity"]
region_id = None if state["region"] == ANY else state["region"]
until = day_start(state["until"] + timedelta(days=1)) if state["until"] else None
since = day_start(state["since"])
changes = data.changes(entity=entity, region_id=region_id, since=since, until=until, limit=FEED_LIMIT)
total = data.change_count(entity=entity, region_id=region_id, since=since, until=until)
if changes.empty:
    st.markdown("**No changes** match these filters (the first snapshot is a baseline and records none).")
else:
    shown = f" Showing the newest {len(changes):,}." if total > len(changes) else ""
    st.markdown(f"**{plural(total, 'change')}**, newest first; latest at "
                f"{changes['changed_at'].max():%Y-%m-%d %H:%M} UTC.{shown}")
ui.table(feed(changes), "changes", column_config=FEED_COLUMNS)

st.subheader("In stock per region")
st.caption("Mean share of the last 30 days each plan a region offered was in stock.")
ratios = region_ratios(data.stock_summary(region_id=region_id))
ui.table(ratios, "in-stock-ratio-per-region", column_config={
    "in_stock_ratio_30d": st.column_config.ProgressColumn("in stock (30 days)", format="percent",
                                                          min_value=0, max_value=1)})
