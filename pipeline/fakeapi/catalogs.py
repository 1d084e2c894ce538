"""The catalogs the emulator serves, built from recorded real responses.

PROVENANCE (see recordings/SOURCES.md for the origin of every file):

* ``"2026-07"`` (default) and ``"2026-01"`` are *composites*, not one real response: the 32 regions
  and the vc2 plans recorded in January 2026 (HostingBot), the vhf, vdc, bare-metal plans and OS of
  the 2022 vultr-php fixture, two GPU bare-metal answers recorded by dstack's gpuhunt, and
  synthetic vhp, voc-*, vcg, vdm and vx1 plans; served in the July or the January 2026 object
  shape (editions.py says what differs, README.md PROVENANCE lists every synthetic value).
* ``"2022"`` is the vultr-php fixture set unchanged (one real point in time).
* ``"2021"`` is the libcloud v2 fixture set unchanged.
* v1 is always the libcloud 2020 recording, served byte for byte (or a subset of its regions, for tests).

Stock ("availability") was never recorded for whole catalogs, so it is synthesized: a seeded
~15 % of offered (region, plan) pairs are sold out, and nothing is in stock where not offered.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from .editions import EDITIONS, january, july
from .hashing import sold_out
from .recorded import dumps, load_json, read_bytes
from .synth import synthetic_variants

logger = logging.getLogger(__name__)

CATALOG_NAMES = (*EDITIONS, "2022", "2021")
DEFAULT_CATALOG = "2026-07"
__all__ = ["CATALOG_NAMES", "DEFAULT_CATALOG", "V1Catalog", "V2Catalog", "build_v1", "build_v2", "dumps",
           "is_of_type", "load_json", "static_stock"]

Item = dict[str, Any]


def is_of_type(plan: Item, wanted: str) -> bool:
    """The ``type`` filter of /v2/plans and availability: ``all``, a plan's own type, or ``voc`` for
    every ``voc-*`` family (Vultr's OpenAPI spec, list-plans ``type``; SHAPE-2026.md, Plan types)."""
    plan_type = str(plan.get("type", ""))
    return wanted in ("all", plan_type) or (wanted == "voc" and plan_type.startswith("voc-"))


@dataclass(frozen=True)
class V2Catalog:
    """One point-in-time v2 catalog: lists in API order plus per-region stock."""

    regions: tuple[Item, ...]
    plans: tuple[Item, ...]
    plans_metal: tuple[Item, ...]
    os: tuple[Item, ...]
    in_stock: dict[str, frozenset[str]] = field(default_factory=dict)

    def region_ids(self) -> set[str]:
        return {r["id"] for r in self.regions}

    def available_plans(self, region_id: str, plan_type: str = "all") -> list[str]:
        """Plan ids in stock in a region, in catalog order; vbm = bare metal."""
        stock = self.in_stock.get(region_id, frozenset())
        out: list[str] = []
        for plan in self.plans:
            if plan["id"] in stock and is_of_type(plan, plan_type):
                out.append(plan["id"])
        if plan_type in ("all", "vbm"):
            out.extend(p["id"] for p in self.plans_metal if p["id"] in stock)
        return out


def static_stock(
    seed: int, regions: tuple[Item, ...], plans: tuple[Item, ...]
) -> dict[str, frozenset[str]]:
    """In-stock plan ids per region: offered there and not in the seeded sold-out share."""
    known = {r["id"] for r in regions}
    stock: dict[str, set[str]] = {rid: set() for rid in known}
    for plan in plans:
        for rid in plan.get("locations", []):
            if rid in known and not sold_out(seed, rid, plan["id"]):
                stock[rid].add(plan["id"])
    return {rid: frozenset(ids) for rid, ids in stock.items()}


def _recorded_2026() -> dict[str, Any]:
    """The recordings both 2026 catalogs start from (recordings/SOURCES.md)."""
    php_plans = load_json("v2/vultrphp_v2_plans.json")["plans"]
    return {"regions": load_json("v2/hostingbot_v2_regions_array_2026.json"),
            "vc2": load_json("v2/hostingbot_v2_plans_subset_2026.json"),
            "php": [p for p in php_plans if p["type"] in ("vhf", "vdc")],
            "metal": load_json("v2/vultrphp_v2_plans_metal.json")["plans_metal"]}


def _v2_sources(name: str) -> tuple[list[Item], list[Item], list[Item], list[Item]]:
    if name in EDITIONS:
        regions, plans, metal = (july if name == "2026-07" else january)(_recorded_2026())
        return regions, plans, metal, load_json("v2/vultrphp_v2_os.json")["os"]
    prefix = {"2022": "vultrphp", "2021": "libcloud"}.get(name)
    if prefix is None:
        raise ValueError(f"unknown catalog {name!r}; choose one of {CATALOG_NAMES}")
    return (
        load_json(f"v2/{prefix}_v2_regions.json")["regions"],
        load_json(f"v2/{prefix}_v2_plans.json")["plans"],
        load_json(f"v2/{prefix}_v2_plans_metal.json")["plans_metal"],
        load_json(f"v2/{prefix}_v2_os.json")["os"],
    )


def build_v2(name: str = DEFAULT_CATALOG, seed: int = 0, synthetic_plans: int = 0) -> V2Catalog:
    """The named v2 catalog, with ``synthetic_plans`` extra plans and seeded stock."""
    regions, plans, metal, os_list = _v2_sources(name)
    plans = plans + synthetic_variants(plans, synthetic_plans)
    stock = static_stock(seed, tuple(regions), tuple(plans + metal))
    logger.debug("catalog %s: %d regions, %d plans", name, len(regions), len(plans))
    return V2Catalog(tuple(regions), tuple(plans), tuple(metal), tuple(os_list), stock)


@dataclass(frozen=True)
class V1Catalog:
    """The v1 recording: list bodies verbatim, plus synthesized stock per DCID."""

    regions_body: bytes
    plans_body: bytes
    os_body: bytes
    plans: dict[str, Item]
    availability: dict[str, list[int]]

    def plans_of_type(self, plan_types: set[str]) -> dict[str, Item]:
        return {k: v for k, v in self.plans.items() if v.get("plan_type") in plan_types}


def build_v1(seed: int = 0, dcids: tuple[str, ...] | None = None) -> V1Catalog:
    """The libcloud 2020 v1 catalog; stock per DCID from ``available_locations``. With ``dcids``, only
    those regions (and plans offered only there): a smaller v1 world, re-serialized, for tests that are
    not about its size (v1 answers 2 requests/s, one availability request per region)."""
    plans = load_json("v1/libcloud_v1_plans_list.json")
    regions = load_json("v1/libcloud_v1_regions_list.json")
    regions_body, plans_body = read_bytes("v1/libcloud_v1_regions_list.json"), read_bytes("v1/libcloud_v1_plans_list.json")
    if dcids is not None:
        regions = {k: v for k, v in regions.items() if k in dcids}
        plans = {k: {**v, "available_locations": [d for d in v["available_locations"] if str(d) in dcids]}
                 for k, v in plans.items()}
        regions_body, plans_body = json.dumps(regions).encode(), json.dumps(plans).encode()
    availability: dict[str, list[int]] = {dcid: [] for dcid in regions}
    for plan_id, plan in plans.items():
        for dcid in plan["available_locations"]:
            key = str(dcid)
            if key in availability and not sold_out(seed, key, plan_id):
                availability[key].append(int(plan_id))
    return V1Catalog(
        regions_body=regions_body,
        plans_body=plans_body,
        os_body=read_bytes("v1/libcloud_v1_os_list.json"),
        plans=plans,
        availability=availability,
    )


def v1_rate_limit_body() -> bytes:
    """The recorded 503 body, exactly."""
    return read_bytes("v1/libcloud_v1_error_rate_limit.txt")
