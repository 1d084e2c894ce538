"""DataFrame -> Altair chart, pure functions (no Streamlit, no I/O). Money is plotted as float only here."""
from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

# Okabe-Ito: blue and orange stay apart for every common colour-vision deficiency (no red/green)
STATUS_COLORS = {"in_stock": "#0072B2", "sold_out": "#E69F00", "not_offered": "#EEEEEE"}
STATUS_LABELS = {"in_stock": "in stock", "sold_out": "offered, sold out", "not_offered": "not offered"}


def _as_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("object").where(series.notna(), None), errors="coerce").astype("float64")


def price_points(history: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    """Two points per price version, in drawing order (seq): its start and its end (valid_to, or now).
    At a change instant the old price's end comes before the new price's start, so the step line
    rises (or falls) exactly there and keeps each price over its whole interval."""
    end = pd.Timestamp(now or datetime.now(UTC))
    ordered = history.sort_values("valid_from", kind="stable").reset_index(drop=True)
    price = _as_float(ordered["monthly_cost_usd"])
    starts = pd.DataFrame({"at": ordered["valid_from"], "monthly_cost_usd": price, "seq": ordered.index * 2})
    ends = pd.DataFrame({"at": ordered["valid_to"].fillna(end), "monthly_cost_usd": price,
                         "seq": ordered.index * 2 + 1})
    return pd.concat([starts, ends]).sort_values("seq").reset_index(drop=True)


def price_chart(history: pd.DataFrame, now: datetime | None = None) -> alt.Chart:
    """Step chart of a plan's monthly price over its versions, axis and tooltips in dollars."""
    points = price_points(history, now)
    return alt.Chart(points).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("at:T", title="time (UTC)"),
        y=alt.Y("monthly_cost_usd:Q", title="$/month", scale=alt.Scale(zero=False), axis=alt.Axis(format="$.2f")),
        order=alt.Order("seq:Q"),
        tooltip=[alt.Tooltip("at:T", title="at", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("monthly_cost_usd:Q", title="$/month", format="$.2f")],
    )


def stock_timeline_chart(intervals: pd.DataFrame, now: datetime | None = None) -> alt.Chart:
    """Gantt of in-stock intervals, one row per region (a gap = sold out or not offered)."""
    end = pd.Timestamp(now or datetime.now(UTC))
    bars = intervals.assign(valid_to=intervals["valid_to"].fillna(end))
    return alt.Chart(bars).mark_bar(height=10).encode(
        x=alt.X("valid_from:T", title="in stock (UTC)"), x2="valid_to:T",
        y=alt.Y("region_id:N", title="region", sort="ascending"),
        color=alt.value(STATUS_COLORS["in_stock"]),
        tooltip=["region_id:N", "valid_from:T", "valid_to:T"],
    )


ROW_PX = 16  # one heat map row per plan: every plan labelled, none skipped for lack of room


def availability_chart(matrix: pd.DataFrame) -> alt.Chart:
    """Plan x region heat map coloured by status (in stock / sold out / not offered): one row per plan,
    cheapest first, each labelled in full (no label dropped for overlap, none truncated)."""
    frame = matrix.assign(state=matrix["status"].map(STATUS_LABELS))
    plan_order = (matrix.assign(cost=_as_float(matrix["monthly_cost_usd"]))
                  .sort_values(["cost", "plan_id"])["plan_id"].drop_duplicates().tolist())
    every_label: dict[str, Any] = {"labelOverlap": False, "labelLimit": 0}
    return alt.Chart(frame).mark_rect(stroke="white").encode(
        y=alt.Y("plan_id:N", title="plan", sort=plan_order, axis=alt.Axis(**every_label)),
        x=alt.X("region_id:N", title="region", axis=alt.Axis(orient="top", labelAngle=-90, **every_label)),
        color=alt.Color("state:N", title="status", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(STATUS_LABELS.values()), range=list(STATUS_COLORS.values()))),
        tooltip=["region_id:N", "plan_id:N", "state:N"],
    ).properties(height=alt.Step(ROW_PX))


MAP_WIDTH, MAP_HEIGHT = 640, 320  # equirectangular: degrees map linearly to these pixels
LAND_TOPOJSON = Path(__file__).resolve().parent / "maps" / "land-110m.json"
LABEL_W_PER_CHAR, LABEL_H, DOT_R = 6.5, 11, 7


def to_pixels(longitude: float, latitude: float) -> tuple[float, float]:
    return (longitude + 180) / 360 * MAP_WIDTH, (90 - latitude) / 180 * MAP_HEIGHT


def to_degrees(x: float, y: float) -> tuple[float, float]:
    return x / MAP_WIDTH * 360 - 180, 90 - y / MAP_HEIGHT * 180


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _offsets() -> list[tuple[float, float]]:
    """Candidate label centres around a dot: close first, then further out (8 directions per ring)."""
    ring = [(0, -1), (1, 0), (0, 1), (-1, 0), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    return [(dx * r * 1.6, dy * r) for r in (12, 22, 32, 44, 58) for dx, dy in ring]


def place_labels(points: pd.DataFrame) -> pd.DataFrame:
    """Greedy label placement in pixels: each label takes the first candidate spot that overlaps no
    dot and no label placed before it (biggest regions first). Adds label_longitude/label_latitude."""
    dots = [to_pixels(lon, lat) for lon, lat in zip(points["longitude"], points["latitude"])]
    taken = [(x - DOT_R, y - DOT_R, x + DOT_R, y + DOT_R) for x, y in dots]
    order = points.assign(_i=range(len(points))).sort_values(["in_stock_plans", "region_id"], ascending=[False, True])
    spots: dict[int, tuple[float, float]] = {}
    for i, label in zip(order["_i"], order["region_id"]):
        (x, y), half_w = dots[i], LABEL_W_PER_CHAR * len(str(label)) / 2
        for dx, dy in _offsets():
            box = (x + dx - half_w, y + dy - LABEL_H / 2, x + dx + half_w, y + dy + LABEL_H / 2)
            if not any(_overlaps(box, other) for other in taken):
                break
        taken.append(box)
        spots[i] = to_degrees(x + dx, y + dy)
    placed = [spots[i] for i in range(len(points))]
    return points.assign(label_longitude=[p[0] for p in placed], label_latitude=[p[1] for p in placed])


def region_map(points: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Regions on land outlines (Natural Earth 1:110m, shipped in app/maps: no network), sized by plans
    in stock, labels placed so that none overlaps another label or a dot; a thin line joins a label
    moved away from its dot."""
    land = alt.Data(values=json.loads(LAND_TOPOJSON.read_text(encoding="utf-8")),
                    format=alt.DataFormat(type="topojson", feature="land"))
    placed = place_labels(points)
    sphere = alt.Chart(alt.sphere()).mark_geoshape(fill="#f4f8fb", stroke="#c8d3dc")
    outlines = alt.Chart(land).mark_geoshape(fill="#dfe5ea", stroke="#b8c2cb", strokeWidth=0.5)
    moved = placed[[math.dist(to_pixels(a, b), to_pixels(c, d)) > 16 for a, b, c, d in zip(
        placed["longitude"], placed["latitude"], placed["label_longitude"], placed["label_latitude"])]]
    leaders = alt.Chart(moved).mark_rule(color="#777", strokeWidth=0.6).encode(
        longitude="longitude:Q", latitude="latitude:Q", longitude2="label_longitude:Q", latitude2="label_latitude:Q")
    dots = alt.Chart(placed).mark_circle(color=STATUS_COLORS["in_stock"], opacity=0.85, stroke="white").encode(
        longitude="longitude:Q", latitude="latitude:Q",
        size=alt.Size("in_stock_plans:Q", title="plans in stock", scale=alt.Scale(range=[20, 220]), legend=None),
        tooltip=["region_id:N", "city:N", "country:N", "in_stock_plans:Q", "sold_out_plans:Q"],
    )
    labels = alt.Chart(placed).mark_text(fontSize=10, fontWeight="bold", color="#222").encode(
        longitude="label_longitude:Q", latitude="label_latitude:Q", text="region_id:N")
    return (alt.layer(sphere, outlines, leaders, dots, labels)
            .project(type="equirectangular", scale=MAP_WIDTH / (2 * math.pi), translate=[MAP_WIDTH / 2, MAP_HEIGHT / 2])
            .properties(width=MAP_WIDTH, height=MAP_HEIGHT))


def region_points(regions: pd.DataFrame, coordinates: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Regions with coordinates and their in-stock / sold-out plan counts (regions without coordinates dropped)."""
    counts = (matrix.assign(in_stock_plans=matrix["status"].eq("in_stock"),
                            sold_out_plans=matrix["status"].eq("sold_out"))
              .groupby("region_id", as_index=False)[["in_stock_plans", "sold_out_plans"]].sum())
    merged = regions[["region_id", "city", "country"]].merge(coordinates, on="region_id", how="inner")
    return merged.merge(counts, on="region_id", how="left").fillna({"in_stock_plans": 0, "sold_out_plans": 0})
