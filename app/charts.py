"""DataFrame -> Altair chart, pure functions (no Streamlit, no I/O). Money is plotted as float only here."""
from __future__ import annotations

from datetime import datetime, timezone

import altair as alt
import pandas as pd

STATUS_COLORS = {"in_stock": "#2e7d32", "sold_out": "#f9a825", "not_offered": "#e0e0e0"}
STATUS_LABELS = {"in_stock": "in stock", "sold_out": "offered, sold out", "not_offered": "not offered"}


def _as_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("object").where(series.notna(), None), errors="coerce").astype("float64")


def price_chart(history: pd.DataFrame, now: datetime | None = None) -> alt.Chart:
    """Step line of a plan's monthly price over its versions (valid_from .. valid_to or now)."""
    end = pd.Timestamp(now or datetime.now(timezone.utc))
    points = pd.concat([
        pd.DataFrame({"at": history["valid_from"], "monthly_cost_usd": _as_float(history["monthly_cost_usd"])}),
        pd.DataFrame({"at": history["valid_to"].fillna(end), "monthly_cost_usd": _as_float(history["monthly_cost_usd"])}),
    ]).sort_values("at", kind="stable")
    return alt.Chart(points).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("at:T", title="time (UTC)"),
        y=alt.Y("monthly_cost_usd:Q", title="$/month", scale=alt.Scale(zero=False)),
        tooltip=["at:T", alt.Tooltip("monthly_cost_usd:Q", format="$.2f")],
    )


def stock_timeline_chart(intervals: pd.DataFrame, now: datetime | None = None) -> alt.Chart:
    """Gantt of in-stock intervals, one row per region (a gap = sold out or not offered)."""
    end = pd.Timestamp(now or datetime.now(timezone.utc))
    bars = intervals.assign(valid_to=intervals["valid_to"].fillna(end))
    return alt.Chart(bars).mark_bar(height=10).encode(
        x=alt.X("valid_from:T", title="in stock (UTC)"), x2="valid_to:T",
        y=alt.Y("region_id:N", title="region", sort="ascending"),
        color=alt.value(STATUS_COLORS["in_stock"]),
        tooltip=["region_id:N", "valid_from:T", "valid_to:T"],
    )


def availability_chart(matrix: pd.DataFrame) -> alt.Chart:
    """Region x plan heat map coloured by status (in stock / sold out / not offered)."""
    frame = matrix.assign(state=matrix["status"].map(STATUS_LABELS))
    plan_order = (matrix.assign(cost=_as_float(matrix["monthly_cost_usd"]))
                  .sort_values(["cost", "plan_id"])["plan_id"].drop_duplicates().tolist())
    return alt.Chart(frame).mark_rect(stroke="white").encode(
        x=alt.X("plan_id:N", title="plan", sort=plan_order),
        y=alt.Y("region_id:N", title="region"),
        color=alt.Color("state:N", title="status",
                        scale=alt.Scale(domain=list(STATUS_LABELS.values()), range=list(STATUS_COLORS.values()))),
        tooltip=["region_id:N", "plan_id:N", "state:N"],
    )


def region_map(points: pd.DataFrame) -> alt.LayerChart:
    """Regions on a world outline (sphere + graticule, drawn offline), sized by plans in stock."""
    projection = {"type": "equalEarth"}
    sphere = alt.Chart(alt.sphere()).mark_geoshape(fill="#eef4fb", stroke="#9bb")
    grid = alt.Chart(alt.graticule(step=[30, 30])).mark_geoshape(stroke="#cdd", strokeWidth=0.5)
    dots = alt.Chart(points).mark_circle(color="#1565c0", opacity=0.8).encode(
        longitude="longitude:Q", latitude="latitude:Q",
        size=alt.Size("in_stock_plans:Q", title="plans in stock", scale=alt.Scale(range=[30, 400])),
        tooltip=["region_id:N", "city:N", "country:N", "in_stock_plans:Q", "sold_out_plans:Q"],
    )
    labels = alt.Chart(points).mark_text(dy=-10, fontSize=10).encode(
        longitude="longitude:Q", latitude="latitude:Q", text="region_id:N")
    return alt.layer(sphere, grid, dots, labels).project(**projection).properties(height=420)


def region_points(regions: pd.DataFrame, coordinates: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Regions with coordinates and their in-stock / sold-out plan counts (regions without coordinates dropped)."""
    counts = (matrix.assign(in_stock_plans=matrix["status"].eq("in_stock"),
                            sold_out_plans=matrix["status"].eq("sold_out"))
              .groupby("region_id", as_index=False)[["in_stock_plans", "sold_out_plans"]].sum())
    merged = regions[["region_id", "city", "country"]].merge(coordinates, on="region_id", how="inner")
    return merged.merge(counts, on="region_id", how="left").fillna({"in_stock_plans": 0, "sold_out_plans": 0})
