"""The finder's data, embedded in index.html: every (plan, region) pair offered on demand, in the ranking of
`vultr-catalog cheapest` (cheapest monthly first, then more vCPUs, more RAM, plan id, region id), so the
page's filters keep that order and its first row is the CLI's first row.

Compact on purpose (the page must load in well under half a second): each plan's specs once, each pair
as [plan_id, region_id, monthly, hourly, estimated hourly, in stock]. Money stays the exact decimal text
(queries.formatting.money_text), never a float; the page formats it as the one formatter does.
"""
from __future__ import annotations

import json
from typing import Any

from pipeline.queries.formatting import is_missing, money_text
from pipeline.site.answer import default_region
from pipeline.site.read import SiteData

PLAN_FIELDS = ("plan_type", "vcpu_count", "ram_mb", "disk_gb", "disk_count", "bandwidth_gb", "cpu_vendor",
               "cpu_allocation", "gpu_type", "gpu_vram_gb", "gpu_count")
PAYLOAD_VERSION = 1


def exact(value: Any) -> str | None:
    """Money (or any DECIMAL) as exact text, None when missing."""
    return None if is_missing(value) else money_text(value)


def finder_payload(data: SiteData) -> dict[str, Any]:
    region_ids = [r["region_id"] for r in data.regions]
    offered = {o["plan_id"] for o in data.offers}
    return {
        "version": PAYLOAD_VERSION,
        "default_region": default_region(region_ids),
        "is_demo": data.is_demo,
        "plan_fields": list(PLAN_FIELDS),
        "regions": {r["region_id"]: [r["city"], r["country"], r["continent"]] for r in data.regions},
        "plans": {p["plan_id"]: [_plan_value(p, f) for f in PLAN_FIELDS] for p in data.plans if p["plan_id"] in offered},
        "offers": [[o["plan_id"], o["region_id"], exact(o["monthly_cost_usd"]), exact(o["hourly_cost_usd"]),
                    exact(o["estimated_hourly_cost_usd"]), 1 if o["is_in_stock"] else 0] for o in data.offers],
    }


def _plan_value(plan: dict[str, Any], name: str) -> Any:
    value = plan.get(name)
    if is_missing(value):
        return None
    return exact(value) if name == "gpu_count" else value


def embedded_json(payload: dict[str, Any]) -> str:
    """JSON safe inside a <script type="application/json"> element (no `</` can close it early)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def choices(data: SiteData) -> dict[str, list[str]]:
    """The values the finder's selects offer (from the plans it lists)."""
    plans = [p for p in data.plans if p["plan_id"] in {o["plan_id"] for o in data.offers}]

    def distinct(name: str) -> list[str]:
        return sorted({str(p[name]) for p in plans if not is_missing(p.get(name))}, key=str.lower)

    types = distinct("plan_type")
    families = {t.split("-")[0] for t in types if "-" in t} - set(types)  # `voc` = voc-c, voc-g, ... (as cheapest)
    return {"plan_type": sorted([*types, *families]), "gpu_type": distinct("gpu_type"), "cpu_vendor": distinct("cpu_vendor"),
            "cpu_allocation": distinct("cpu_allocation"),
            "continent": sorted({r["continent"] for r in data.regions if r["continent"]})}
