"""Inline SVG charts for the plan pages: drawn at build time, so they show without JavaScript and fetch
nothing. Each chart carries a <title> and the page repeats its figures in a table beside it."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from pipeline.queries.formatting import money, utc_text

WIDTH, LEFT, RIGHT = 720, 64, 12
PRICE_HEIGHT, ROW_HEIGHT, TOP, AXIS = 170, 16, 10, 22


def _x(at: datetime, start: datetime, end: datetime) -> float:
    span = max((end - start).total_seconds(), 1.0)
    share = min(max((at - start).total_seconds() / span, 0.0), 1.0)
    return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)


def _svg(height: int, label: str, body: list[str]) -> str:
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(body)}</svg>')


def _time_axis(start: datetime, end: datetime, y: float) -> list[str]:
    return [f'<line class="axis" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>',
            f'<text x="{LEFT}" y="{y + 15}">{escape(utc_text(start))}</text>',
            f'<text x="{WIDTH - RIGHT}" y="{y + 15}" text-anchor="end">{escape(utc_text(end))}</text>']


def price_chart(versions: list[dict[str, Any]], start: datetime, end: datetime, plan_id: str) -> str:
    """The base monthly price as a step line from the history's start to the build."""
    prices = [Decimal(v["monthly_cost_usd"]) for v in versions if v["monthly_cost_usd"] is not None]
    label = f"Monthly price of {plan_id} from {utc_text(start)} to {utc_text(end)}"
    if not prices:
        return _svg(AXIS + TOP, label, _time_axis(start, end, TOP))
    top, bottom = max(prices) * Decimal("1.1"), Decimal(0)
    plot = PRICE_HEIGHT - AXIS - TOP

    def y(value: Decimal) -> float:
        return round(TOP + float((top - value) / (top - bottom)) * plot, 1) if top > bottom else TOP + plot

    points: list[str] = []
    for v in versions:
        if v["monthly_cost_usd"] is None:
            continue
        height = y(Decimal(v["monthly_cost_usd"]))
        points += [f"{_x(v['valid_from'], start, end)},{height}", f"{_x(v['valid_to'] or end, start, end)},{height}"]
    body = [f'<polyline class="line" fill="none" points="{" ".join(points)}"/>',
            f'<text x="{LEFT - 6}" y="{y(max(prices)) + 4}" text-anchor="end">{escape(money(max(prices)))}</text>',
            f'<text x="{LEFT - 6}" y="{TOP + plot + 4}" text-anchor="end">$0</text>']
    return _svg(PRICE_HEIGHT, label, body + _time_axis(start, end, TOP + plot))


def stock_chart(intervals: list[dict[str, Any]], region_ids: list[str], start: datetime, end: datetime,
                plan_id: str) -> str:
    """One row per region, a bar for each stretch in stock (gaps: sold out or not offered)."""
    label = f"When {plan_id} was in stock, per region, from {utc_text(start)} to {utc_text(end)}"
    body: list[str] = []
    for row, region_id in enumerate(region_ids):
        y = TOP + row * ROW_HEIGHT
        body.append(f'<text x="{LEFT - 6}" y="{y + 11}" text-anchor="end">{escape(region_id)}</text>')
        for i in (i for i in intervals if i["region_id"] == region_id):
            x1, x2 = _x(i["valid_from"], start, end), _x(i["valid_to"] or end, start, end)
            body.append(f'<rect class="bar" x="{x1}" y="{y + 2}" width="{max(x2 - x1, 1.0)}" height="{ROW_HEIGHT - 4}"/>')
    height = TOP + len(region_ids) * ROW_HEIGHT
    return _svg(height + AXIS, label, body + _time_axis(start, end, height))
