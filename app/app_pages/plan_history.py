"""Plan history: a plan's price over time, its stock timeline across regions, and its in-stock ratio per region."""
from __future__ import annotations

import streamlit as st

from app import charts, data, ui
from app.formatting import money, plural

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

st.title("Plan history")
plans = data.plans()
plan_ids = plans["plan_id"].tolist()
default_plan = "vhf-1c-1gb" if "vhf-1c-1gb" in plan_ids else (plan_ids or [None])[0]
wanted = st.query_params.get("plan")
ui.seed_choice("history.plan", "plan", default_plan, plan_ids, label="plan")
plan_id = st.selectbox("Plan", plan_ids, key="history.plan")
if wanted and wanted.strip().lower() not in plan_ids:
    st.warning(f"Unknown plan {wanted!r} in the link; showing {plan_id}. Plans: {', '.join(plan_ids)}")
ui.write_url({"plan": plan_id}, {"plan": default_plan})
if plan_id is None:
    st.info("No plans in the catalog yet.")
    st.stop()

prices = data.price_history(plan_id)
st.subheader("Price")
if len(prices) <= 1:
    current = money(prices["monthly_cost_usd"].iloc[0]) if len(prices) else "—"
    st.markdown(ui.md_escape(f"{plan_id} has kept one price since it was first seen: {current}/month."))
else:
    last = prices.iloc[-1]
    st.markdown(ui.md_escape(f"{plan_id} changed price {plural(len(prices) - 1, 'time')}; "
                             f"{money(last['monthly_cost_usd'])}/month since {last['valid_from']:%Y-%m-%d %H:%M} UTC "
                             f"(was {money(prices['monthly_cost_usd'].iloc[-2])})."))
st.altair_chart(charts.price_chart(prices), width="stretch")
shown = prices.assign(monthly_cost_usd=prices["monthly_cost_usd"].map(money),
                      hourly_cost_usd=prices["hourly_cost_usd"].map(money))
ui.table(prices, f"price-history-{plan_id}", column_config=PRICE_COLUMNS, shown_grid=shown)

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
