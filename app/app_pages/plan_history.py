"""Plan history: a plan's price over time (its base price, or one region's price), its stock timeline
across regions, and its in-stock ratio per region. Opens on the plan whose price changed last
(?plan=vhf-1c-1gb&region=sao picks another plan, and a region's price)."""
from __future__ import annotations

import streamlit as st

from app import charts, data, ui
from app.formatting import money, plural, utc_text

BASE = ""  # the region picker's "base price" choice (no region in the link)
FALLBACK_PLAN = "vhf-1c-1gb"
PRICE_COLUMNS = {
    "valid_from": st.column_config.DatetimeColumn("from (UTC)", format="YYYY-MM-DD HH:mm"),
    "valid_to": st.column_config.DatetimeColumn("to (UTC)", format="YYYY-MM-DD HH:mm", help="empty: current"),
    "monthly_cost_usd": st.column_config.TextColumn("$/month"),
    "hourly_cost_usd": st.column_config.TextColumn("$/hour", help="the API's hourly price; — where it gives none"),
}
STOCK_COLUMNS = {
    "valid_from": st.column_config.DatetimeColumn("in stock from (UTC)", format="YYYY-MM-DD HH:mm"),
    "valid_to": st.column_config.DatetimeColumn("until (UTC)", format="YYYY-MM-DD HH:mm", help="empty: still in stock"),
}


def defaults(plan_ids: list[str]) -> tuple[str | None, str]:
    """The plan (and region) of the latest price change, so the page opens on a price that moved."""
    changed = data.latest_price_change()
    if changed and changed[0] in plan_ids:
        return changed[0], changed[1] or BASE
    return (FALLBACK_PLAN if FALLBACK_PLAN in plan_ids else (plan_ids[0] if plan_ids else None)), BASE


def price_sentence(plan_id: str, where: str, prices) -> str:
    if len(prices) <= 1:
        current = money(prices["monthly_cost_usd"].iloc[0]) if len(prices) else "—"
        return f"{plan_id} has kept one price {where} since it was first seen: {current}/month."
    last = prices.iloc[-1]
    return (f"{plan_id} changed price {where} {plural(len(prices) - 1, 'time')}; {money(last['monthly_cost_usd'])}"
            f"/month since {utc_text(last['valid_from'])} (was {money(prices['monthly_cost_usd'].iloc[-2])}).")


st.title("Plan history")
plans = data.plans()
plan_ids = plans["plan_id"].tolist()
default_plan, default_region = defaults(plan_ids)
wanted = st.query_params.get("plan")
ui.seed_choice("history.plan", "plan", default_plan or "", plan_ids, label="plan")
if "history.region" not in st.session_state and not st.query_params.get("plan"):
    st.session_state["history.region"] = default_region  # the latest change's region goes with its plan
row = st.columns([3, 3])
plan_id = row[0].selectbox("Plan", plan_ids, key="history.plan")
if wanted and wanted.strip().lower() not in plan_ids:
    st.warning(f"Unknown plan {wanted!r} in the link; showing {plan_id}. Plans: {', '.join(plan_ids)}")
if plan_id is None:
    st.info("No plans in the catalog yet.")
    st.stop()
names = data.region_names()
offered = sorted(data.plan_prices(plan_id)["region_id"].unique().tolist())
ui.seed_choice("history.region", "region", BASE, [BASE, *offered], label="region")
if st.session_state["history.region"] not in (BASE, *offered):
    st.session_state["history.region"] = BASE  # another plan was picked: its regions differ
region_id = row[1].selectbox("Price in", [BASE, *offered], key="history.region",
                             format_func=lambda r: "base price (regions without their own)" if r == BASE
                             else f"{names.get(r, r)} [{r}]")
ui.write_url({"plan": plan_id, "region": region_id or None}, {"plan": default_plan, "region": default_region or None})

prices = data.price_history(plan_id, region_id or None)
st.subheader("Price")
where = f"in {names.get(region_id, region_id)}" if region_id else "(base)"
st.markdown(ui.md_escape(price_sentence(plan_id, where, prices)))
st.altair_chart(charts.price_chart(prices), width="stretch")
shown = prices.assign(monthly_cost_usd=prices["monthly_cost_usd"].map(money),
                      hourly_cost_usd=prices["hourly_cost_usd"].map(money))
ui.table(prices, f"price-history-{plan_id}-{region_id or 'base'}", column_config=PRICE_COLUMNS, shown_grid=shown)

st.subheader("Stock timeline")
intervals = data.stock_history(plan_id)
st.caption("Bars: in stock. Gaps: sold out or not offered.")
if intervals.empty:
    st.info(f"{plan_id} has never been in stock in any region.")
else:
    st.altair_chart(charts.stock_timeline_chart(intervals), width="stretch")
ui.table(intervals, f"stock-history-{plan_id}", column_config=STOCK_COLUMNS)

st.subheader("In stock per region")
summary = data.stock_summary(plan_id=plan_id).sort_values("in_stock_ratio_30d", ascending=False)
in_stock_now = int(summary["in_stock_now"].sum())
st.markdown(f"In stock now in **{in_stock_now}** of {plural(len(summary), 'region')} that ever offered it.")
ui.table(summary, f"stock-summary-{plan_id}", column_config={
    "in_stock_ratio_30d": st.column_config.ProgressColumn("in stock (30 days)", format="percent",
                                                          min_value=0, max_value=1)})

st.subheader("Stock outlook (30 days)")
st.caption("Sell-outs that ended in the last 30 days and how long they lasted; under 3 is too few to say.")
outlook = data.stock_outlook(plan_id)
ui.table(outlook, f"stock-outlook-{plan_id}", shown=outlook)
