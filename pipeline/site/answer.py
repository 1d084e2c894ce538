"""The finder's answer on pages without JavaScript: the ranked rows of one region and the one sentence above
them, worded as the dashboard's finder words it (app.formatting.answer_sentence; a test holds the two
equal) and as assets/finder.js words it in the browser (a browser test holds that)."""
from __future__ import annotations

from typing import Any

from pipeline.queries.formatting import headline as plan_headline

# The finder's region when a link names none: the dashboard's (app/app_pages/finder.py DEFAULT_REGION),
# so a link without `region` opens the same answer in both (tests/test_site.py holds them equal).
DEFAULT_REGION = "ewr"


def default_region(region_ids: list[str]) -> str | None:
    return DEFAULT_REGION if DEFAULT_REGION in region_ids else (region_ids[0] if region_ids else None)


def ranked_in(offers: list[dict[str, Any]], region_id: str, in_stock_only: bool = True) -> list[dict[str, Any]]:
    """The (plan, region) rows of one region, in the ranking of `vultr-catalog cheapest` (offers are
    cheapest's own rows, already in its order)."""
    return [o for o in offers if o["region_id"] == region_id and (o["is_in_stock"] or not in_stock_only)]


def answer_sentence(ranked: list[dict[str, Any]], place: str, plan_type: str | None = None,
                    in_stock_only: bool = True, region_names: dict[str, str] | None = None) -> str:
    """'Cheapest plan in stock in Frankfurt: vc2-1c-1gb — 1 vCPU · 1 GB RAM · 25 GB disk · $5.00/month'; with
    region_names (any region) the answer names its region: 'vc2-1c-1gb in Frankfurt (fra)'."""
    kind = f"{plan_type} plan" if plan_type else "plan"
    where = f"{'in stock' if in_stock_only else 'offered'} in {place}"
    if not ranked:
        return f"No {kind} {where} matches these filters."
    top = ranked[0]
    sold_out = "" if in_stock_only or top["is_in_stock"] else " (sold out now)"
    region = top["region_id"]
    there = f" in {region_names.get(region, region)} ({region})" if region_names else ""
    return f"Cheapest {kind} {where}: {top['plan_id']}{there} — {headline(top)}{sold_out}"


def headline(plan: dict[str, Any]) -> str:
    """What a plan is, each figure named, by the formatter: `1 vCPU · 1 GB RAM · 25 GB disk · $5.00/month`."""
    return plan_headline(plan["vcpu_count"], plan["ram_mb"], plan["disk_gb"], plan["disk_count"],
                         plan["monthly_cost_usd"])
