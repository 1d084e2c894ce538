"""The HTML pages, rendered from templates/ (package data) with Jinja2, escaped by default.

Every page works without JavaScript: tables are pre-rendered, charts are inline SVG, the demo label and
the collection time are on each. Links are relative, so the site works under any path (a bucket prefix,
a GitHub Pages project site) and from a folder opened as is.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from itertools import groupby
from typing import Any

import jinja2

from pipeline.queries.formatting import MISSING, bandwidth_text, disk_text, money, ram_text, utc_text
from pipeline.site import charts
from pipeline.site.answer import answer_sentence, default_region, headline, ranked_in
from pipeline.site.finder import choices, embedded_json, finder_payload
from pipeline.site.read import EVENTS_PER_PLAN, SiteData
from pipeline.site.text import change_line, segment

# The column picker: the dashboard grid's optional columns (keys and labels as app/grid.py), then two more.
FINDER_COLUMNS = [("region_count", "regions"), ("plan_type", "type"), ("disk_count", "disks"),
                  ("bandwidth_tb", "transfer"), ("hourly_source", "source"), ("price_per_vcpu", "$/vCPU"),
                  ("price_per_gb_ram", "$/GB RAM"), ("cpu_vendor", "CPU"), ("cpu_allocation", "CPU allocation"),
                  ("gpu_type", "GPU"), ("gpu_vram_gb", "GPU VRAM"), ("is_in_stock", "in stock"), ("city", "city"),
                  ("continent", "continent")]
DEFAULT_COLUMNS = ["plan_type", "price_per_vcpu"]
SYMBOLS = {"in_stock": "●", "sold_out": "○", "not_offered": "·"}


def asset(name: str) -> str:
    return resources.files("pipeline.site").joinpath("assets", name).read_text(encoding="utf-8")


def _hourly(row: dict[str, Any]) -> str:
    if row.get("hourly_cost_usd") is not None:
        return money(row["hourly_cost_usd"])
    return money(row.get("estimated_hourly_cost_usd"), estimate=True)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("pipeline.site", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(money=money, ram=ram_text, bandwidth=bandwidth_text, disk=disk_text, utc=utc_text, segment=segment,
                       hourly=_hourly)
    env.globals.update(css=asset("site.css"), sort_js=asset("sort.js"))
    return env


def _common(data: SiteData, root: str, title: str, description: str) -> dict[str, Any]:
    fresh = data.fresh
    return {"root": root, "title": title, "description": description, "is_demo": data.is_demo,
            "collected": utc_text(fresh["last_ok_at"]), "snapshot": fresh["last_ok_snapshot_id"] or MISSING,
            "built": utc_text(data.generated_at), "history_start": utc_text(fresh["first_at"])}


def render(template: str, data: SiteData, root: str, title: str, description: str, **values: Any) -> str:
    return environment().get_template(template).render(**_common(data, root, title, description), **values)


def city_names(data: SiteData) -> dict[str, str]:
    return {r["region_id"]: r["city"] for r in data.regions}


def finder_page(data: SiteData) -> str:
    region = default_region([r["region_id"] for r in data.regions])
    rows = ranked_in(data.offers, region) if region else []
    sentence = (answer_sentence(rows, city_names(data).get(region, region)) if region
                else "Choose a region to see the cheapest plan.")
    return render("finder.html", data, "", "Cheapest plan", "Every Vultr plan in stock at each region's price",
                  regions=data.regions, default_region=region, choices=choices(data), rows=rows, sentence=sentence,
                  optional_columns=FINDER_COLUMNS, default_columns=DEFAULT_COLUMNS,
                  payload=embedded_json(finder_payload(data)), finder_js=asset("finder.js"))


def region_pages(data: SiteData) -> Iterator[tuple[str, str]]:
    names = city_names(data)
    for region in data.regions:
        region_id = region["region_id"]
        offered = ranked_in(data.offers, region_id, in_stock_only=False)
        in_stock = [o for o in offered if o["is_in_stock"]]
        html = render("region.html", data, "../../", f"{region['city']} ({region_id})",
                      f"Vultr plans in stock in {region['city']}", region=region,
                      sentence=answer_sentence(in_stock, names[region_id]), in_stock=in_stock,
                      sold_out=[o for o in offered if not o["is_in_stock"]])
        yield f"region/{segment(region_id)}/index.html", html


def regions_page(data: SiteData) -> str:
    rows = []
    for region in data.regions:
        in_stock = ranked_in(data.offers, region["region_id"])
        rows.append({**region, "in_stock": len(in_stock), "cheapest": in_stock[0] if in_stock else None})
    return render("regions.html", data, "../", "Regions", "Vultr regions and their cheapest plan in stock", rows=rows)


def _in_stock_counts(data: SiteData) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in data.matrix:
        counts[m["plan_id"]] = counts.get(m["plan_id"], 0) + (m["status"] == "in_stock")
    return counts


def plans_page(data: SiteData) -> str:
    counts = _in_stock_counts(data)
    rows = [{**p, "in_stock": counts.get(p["plan_id"], 0)} for p in data.plans]
    return render("plans.html", data, "../", "Plans", "Every Vultr plan in the catalog", rows=rows)


def _specs(plan: dict[str, Any]) -> list[tuple[str, str]]:
    shown = [("type", plan["plan_type"]), ("vCPUs", plan["vcpu_count"]), ("RAM", ram_text(plan["ram_mb"])),
             ("disk", disk_text(plan["disk_gb"], plan["disk_count"])), ("disk type", plan.get("disk_type")),
             ("transfer", bandwidth_text(plan["bandwidth_gb"])), ("base $/month", money(plan["monthly_cost_usd"])),
             ("base $/hour", money(plan["hourly_cost_usd"])), ("CPU vendor", plan.get("cpu_vendor")),
             ("CPU model", plan.get("cpu_model")), ("CPU allocation", plan.get("cpu_allocation")),
             ("GPU", plan.get("gpu_type")), ("GPUs", plan.get("gpu_count")), ("GPU VRAM (GB)", plan.get("gpu_vram_gb")),
             ("bare metal", "yes" if plan.get("is_bare_metal") else "no"), ("billed", plan.get("invoice_type"))]
    return [(label, str(value)) for label, value in shown if value is not None]


def _by_plan(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {plan_id: list(rows) for plan_id, rows in groupby(records, key=lambda r: r["plan_id"])}


def plan_pages(data: SiteData) -> Iterator[tuple[str, str]]:
    names, start = city_names(data), data.fresh["first_at"] or data.generated_at
    status = {(m["plan_id"], m["region_id"]): m["status"] for m in data.matrix}
    prices = _by_plan(sorted(data.prices, key=lambda p: (p["plan_id"], p["monthly_cost_usd"], p["region_id"])))
    histories, intervals = _by_plan(data.price_history), _by_plan(data.stock_intervals)
    events = _by_plan(data.stock_events)
    for plan in data.plans:
        plan_id = plan["plan_id"]
        stock_regions = sorted({i["region_id"] for i in intervals.get(plan_id, [])})
        html = render(
            "plan.html", data, "../../", plan_id, f"Vultr plan {plan_id}: specs, prices per region, history",
            plan=plan, headline=headline(plan), specs=_specs(plan),
            prices=[{**p, "city": names.get(p["region_id"], MISSING),
                     "status": status.get((plan_id, p["region_id"]), "not_offered")} for p in prices.get(plan_id, [])],
            price_history=histories.get(plan_id, []), stock_regions=stock_regions,
            price_svg=charts.price_chart(histories.get(plan_id, []), start, data.generated_at, plan_id),
            stock_svg=charts.stock_chart(intervals.get(plan_id, []), stock_regions, start, data.generated_at, plan_id),
            events=events.get(plan_id, []), events_limit=EVENTS_PER_PLAN)
        yield f"plan/{segment(plan_id)}/index.html", html


def availability_page(data: SiteData) -> str:
    region_ids = [r["region_id"] for r in data.regions]
    status = {(m["plan_id"], m["region_id"]): m["status"] for m in data.matrix}
    groups = []
    for plan_type in data.plan_types():
        plans = [p["plan_id"] for p in data.plans if p["plan_type"] == plan_type]
        groups.append((plan_type, [(p, [status.get((p, r), "not_offered") for r in region_ids]) for p in plans]))
    return render("availability.html", data, "../", "Availability", "Which Vultr plan is in stock in which region",
                  groups=groups, region_ids=region_ids, symbols=SYMBOLS)


def changes_page(data: SiteData) -> str:
    rows = [{**c, "line": change_line(c)} for c in data.changes]
    return render("changes.html", data, "../", "What changed", "Restocks, sell-outs and price changes",
                  rows=rows, total=data.change_total, region_ids=sorted(data.changes_by_region),
                  plan_types=sorted(data.changes_by_type))


def about_page(data: SiteData, parquet: list[str], schema_version: int) -> str:
    return render("about.html", data, "../", "About this data", "When the data was collected and where it comes from",
                  snapshot_count=data.fresh["snapshot_count"], plan_count=len(data.plans),
                  region_count=len(data.regions), offer_count=len(data.offers), parquet=parquet,
                  schema_version=schema_version)
