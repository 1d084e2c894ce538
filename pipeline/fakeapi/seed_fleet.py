"""The demo's seed fleet (``FakeVultr(seed_fleet=True)``, ``fake-api --seed-fleet``).

A handful of servers that show every case of ``vultr-catalog fleet``: a plan in stock at its
cheapest, a plan with a cheaper equivalent, a plan sold out in its region, a retired plan and,
on v2, a plan at a regional price (where the catalog has ``location_cost``) and a bare-metal
machine. Picked from whatever catalog is served, so any catalog or timeline works; a case whose
ingredients are missing is skipped. The retired plans are SYNTHETIC items (old-style ids that no
served catalog lists), marked as such here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .catalogs import V1Catalog, V2Catalog, load_json
from .fleet import Fleet, Item
from .v1_servers import catalog_os, catalog_regions
from .v2_servers import find_os

DAY = timedelta(days=1)
# SYNTHETIC: a v1 plan that the 2020 recording no longer lists (the 768 MB plan of older docs)
RETIRED_V1_PLAN = {"VPSPLANID": "29", "name": "768 MB RAM,15 GB SSD,1.00 TB BW", "vcpu_count": "1",
                   "ram": "768", "disk": "15", "bandwidth": "1.00", "bandwidth_gb": "1024",
                   "price_per_month": "5.00", "plan_type": "SSD"}


def seed_v2(fleet: Fleet, catalog: V2Catalog, now: datetime, region_id: str = "ewr") -> None:
    regions = {r["id"]: r for r in catalog.regions}
    if region_id not in regions:
        region_id = next(iter(regions))
    region, os_item = regions[region_id], find_os(catalog)
    plans = {p["id"]: p for p in catalog.plans}
    stock = catalog.in_stock.get(region_id, frozenset())
    for label, plan_id, days in (("web-1", "vc2-1c-2gb", 200), ("build-1", "vdc-2c-8gb", 90)):
        if plan_id in plans and plan_id in stock:
            fleet.add(label, region, plans[plan_id], os_item, now - days * DAY, tags=("demo",))
    sold = _sold_out_v2(catalog, region_id)
    if sold is not None:
        fleet.add("db-1", region, sold, os_item, now - 30 * DAY, tags=("demo",))
    retired = [p for p in load_json("v2/libcloud_v2_plans.json")["plans"] if p["id"] not in plans]
    if retired:  # a 2021 plan id the served catalog no longer lists
        fleet.add("legacy-1", region, retired[0], os_item, now - 700 * DAY, tags=("demo",))
    regional = next(((rid, p) for p in catalog.plans for rid in (p.get("location_cost") or {})
                     if rid in regions and p["id"] in catalog.in_stock.get(rid, frozenset())), None)
    if regional is not None:  # a plan that costs more in its region (São Paulo) than its base price
        fleet.add("sp-1", regions[regional[0]], regional[1], os_item, now - 45 * DAY, tags=("demo",))
    metal = next(((rid, p) for p in catalog.plans_metal for rid in p.get("locations", [])
                  if rid in regions and p["id"] in catalog.in_stock.get(rid, frozenset())), None)
    if metal is not None:
        fleet.add("metal-1", regions[metal[0]], metal[1], os_item, now - 10 * DAY, tags=("demo",),
                  is_bare_metal=True)


def _sold_out_v2(catalog: V2Catalog, region_id: str) -> Item | None:
    stock = catalog.in_stock.get(region_id, frozenset())
    return next((p for p in catalog.plans if region_id in p.get("locations", [])
                 and p["id"] not in stock), None)


def seed_v1(fleet: Fleet, catalog: V1Catalog, now: datetime, dcid: str = "1") -> None:
    regions, os_list = catalog_regions(catalog), catalog_os(catalog)
    region, os_item = regions[dcid], os_list.get("362") or next(iter(os_list.values()))
    stock = catalog.availability.get(dcid, [])
    for label, plan_id, days in (("web-1", "201", 200), ("hf-1", "402", 60)):
        if int(plan_id) in stock:
            fleet.add(label, region, catalog.plans[plan_id], os_item, now - days * DAY, tags=("demo",))
    sold = next((p for k, p in catalog.plans.items()
                 if int(dcid) in p["available_locations"] and int(k) not in stock), None)
    if sold is not None:
        fleet.add("db-1", region, sold, os_item, now - 30 * DAY, tags=("demo",))
    fleet.add("legacy-1", region, dict(RETIRED_V1_PLAN), os_item, now - 900 * DAY, tags=("demo",))
