"""The two 2026 catalogs: one inventory of plans, served in the January or the July 2026 shape.

PROVENANCE (recordings/SOURCES.md; SHAPE-2026.md, "Where the live API is less regular"):

* ``2026-01`` is the shape of the January 2026 recording (HostingBot ``vultr_plans.json``): the
  20 recorded vc2 plans exactly, São Paulo as separate ``-sc1`` plans offered only in ``sao``, and
  no field that recording lacks (``location_cost``, the preemptible pair, ``gpu_brand``,
  ``link_speed``/``link_type``, ``name``); regions as recorded (32, no ``connectivity``, no ``mxp``).
* ``2026-07`` (the default) is the mid-2026 shape: ``-sc1`` folded into ``location_cost``, the
  preemptible pair, ``link_speed``/``link_type`` and ``name`` on every plan, region
  ``connectivity``, the ``mxp`` region, and the free plan beside the IPv6-only one.

Both serve the same machines (so every answer but the shape agrees): the recorded vc2, vhf and vdc
plans, the synthetic vhp, voc-*, vcg, vdm (no GPU fields) and vx1 plans (synth.py, gpu2026.py), the
recorded bare metal naming its CPU maker in ``cpu_vendor`` on some plans and ``cpu_manufacturer``
on others, and the recorded bare-metal GPU answers without GPU fields. Every value no recording
holds is SYNTHETIC and listed in README.md (PROVENANCE).
"""

from __future__ import annotations

from typing import Any

from .gpu2026 import metal_gpu, vdm_plans, vx1_plans
from .shape2026 import fold_variants, modern_cloud, modern_metal
from .synth import families_2026

Item = dict[str, Any]

EDITIONS = ("2026-07", "2026-01")
# fields the January recording does not have (SHAPE-2026.md: "still lacks location_cost, the
# preemptible pair and gpu_brand"; link_speed/link_type and connectivity arrived in February 2026)
JANUARY_LACKS = frozenset({"location_cost", "monthly_cost_preemptible", "hourly_cost_preemptible",
                           "gpu_brand", "link_speed", "link_type", "name"})
# SYNTHETIC: Milan, opened in 2026 (SHAPE-2026.md); the field set of the recorded regions
MXP = {"id": "mxp", "city": "Milan", "country": "IT", "continent": "Europe",
       "options": ["ddos_protection", "block_storage_storage_opt", "load_balancers", "kubernetes"]}
# SYNTHETIC values: `connectivity` exists on regions since February 2026 (govultr); its values are not
# recorded anywhere public, so every region sends the same list
CONNECTIVITY = ["public_ipv4", "public_ipv6", "vpc"]
# SYNTHETIC: plans the July catalog also offers in mxp (a region must sell something)
MXP_PLANS = ("vc2-1c-1gb", "vc2-1c-2gb", "vc2-2c-4gb", "vhf-1c-1gb", "vhf-2c-4gb")
# SYNTHETIC values: the free tier (price 0, granted on application: SHAPE-2026.md, Special plans)
FREE_PLAN = {"id": "vc2-1c-0.5gb-free", "vcpu_count": 1, "ram": 512, "disk": 10, "disk_type": "SSD",
             "disk_count": 1, "bandwidth": 512, "monthly_cost": 0, "hourly_cost": 0, "invoice_type": "monthly",
             "type": "vc2", "locations": ["ewr", "ord", "fra"], "cpu_vendor": "Intel",
             "storage_type": "local_storage", "vcpu_type": "thread", "clusterable": "no",
             "deploy_ondemand": True, "deploy_preemptible": False}


def january(recorded: dict[str, Any]) -> tuple[list[Item], list[Item], list[Item]]:
    """(regions, plans, bare metal) in the January 2026 shape."""
    region_ids = [r["id"] for r in recorded["regions"]]
    plans = [modern_cloud(p, {}) for p in recorded["vc2"] + recorded["php"]]
    plans += families_2026(region_ids) + vdm_plans(region_ids) + vx1_plans(region_ids)
    metal = [modern_metal(m, _vendor_field(i)) for i, m in enumerate(recorded["metal"])] + metal_gpu()
    return list(recorded["regions"]), [_strip(p) for p in plans], [_strip(m) for m in metal]


def july(recorded: dict[str, Any]) -> tuple[list[Item], list[Item], list[Item]]:
    """(regions, plans, bare metal) in the July 2026 shape."""
    regions = [{**r, "connectivity": list(CONNECTIVITY)} for r in recorded["regions"]]
    regions.append({**MXP, "connectivity": list(CONNECTIVITY)})
    region_ids = [r["id"] for r in recorded["regions"]]
    plans = fold_variants([FREE_PLAN] + recorded["vc2"] + recorded["php"])
    plans += families_2026(region_ids) + vdm_plans(region_ids) + vx1_plans(region_ids)
    for plan in plans:
        if plan["id"] in MXP_PLANS:
            plan["locations"] = [*plan["locations"], "mxp"]
    metal = [modern_metal(m, _vendor_field(i)) for i, m in enumerate(recorded["metal"])]
    return regions, [with_link(p) for p in plans], metal + metal_gpu()


def _strip(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in JANUARY_LACKS}


def _vendor_field(index: int) -> str:
    """SYNTHETIC choice: which recorded metal plan names its vendor in which field (both occur live)."""
    return "cpu_manufacturer" if index % 2 else "cpu_vendor"


# SYNTHETIC values: link speed in Gbps per plan type; the type of link follows the CPU allocation
# (Vultr's pricing page: shared for vc2, vhf, vhp; dedicated for the others)
_SHARED = ("vc2", "vhf", "vhp")
_LINK_GBPS = {"vc2": 1, "vhf": 2, "vhp": 2, "vcg": 10, "vdm": 25}


def with_link(plan: Item) -> Item:
    """The plan with ``link_speed``, ``link_type`` and ``name`` after ``vcpu_type`` (their 2026 place)."""
    plan_type = str(plan.get("type", ""))
    extra = {"link_speed": _LINK_GBPS.get(plan_type, 5),
             "link_type": "shared" if plan_type in _SHARED else "dedicated",
             "name": plan_name(plan)}
    out: Item = {}
    for key, value in plan.items():
        out[key] = value
        if key == "vcpu_type":
            out.update(extra)
    out.update((k, v) for k, v in extra.items() if k not in out)
    return out


def plan_name(plan: Item) -> str:
    """SYNTHETIC: a readable name from the plan's own fields (the spec has ``name``; no value is recorded)."""
    ram_gb = plan["ram"] / 1024
    ram = f"{ram_gb:g} GB" if ram_gb >= 1 else f"{plan['ram']} MB"
    cpus = plan["vcpu_count"]
    return f"{plan['type']} {cpus} vCPU{'s' if cpus != 1 else ''}, {ram}"
