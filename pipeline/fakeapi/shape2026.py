"""The 2026 object shape (SHAPE-2026.md) applied to recorded plans, without changing recorded values.

Recorded fields keep their values and relative order; the fields a recording lacks are inserted at
their 2026 position with synthesized values (provenance: README.md, PROVENANCE).
The ``-sc1`` São Paulo variants are folded into their base plan as a ``location_cost`` override,
as the live API does since 2026: the base plan gains ``sao`` in its locations.
"""

from __future__ import annotations

from typing import Any

from .synth import hourly

Item = dict[str, Any]

CLOUD_ORDER = (
    "id", "vcpu_count", "ram", "disk", "disk_type", "disk_count", "bandwidth", "monthly_cost",
    "hourly_cost", "monthly_cost_preemptible", "hourly_cost_preemptible", "invoice_type", "type",
    "locations", "cpu_vendor", "storage_type", "vcpu_type", "clusterable", "deploy_ondemand",
    "deploy_preemptible", "location_cost", "gpu_brand", "gpu_vram_gb", "gpu_type", "gpu_count",
)
METAL_ORDER = (
    "id", "physical_cpus", "cpu_count", "cpu_cores", "cpu_threads", "cpu_vendor", "cpu_manufacturer", "cpu_model",
    "cpu_mhz", "ram", "disk", "disk_count", "bandwidth", "monthly_cost", "hourly_cost",
    "monthly_cost_preemptible", "hourly_cost_preemptible", "invoice_type", "type", "deploy_ondemand",
    "deploy_preemptible", "locations", "gpu_brand", "gpu_vram_gb", "gpu_type", "gpu_count",
)
# synthesized defaults per plan type for recordings that predate the fields (2022 vultr-php)
_CLOUD = {
    "vc2": {"disk_type": "SSD", "cpu_vendor": "Intel", "vcpu_type": "thread"},
    "vhf": {"disk_type": "NVMe", "cpu_vendor": "Intel", "vcpu_type": "thread"},
    "vdc": {"disk_type": "SSD", "cpu_vendor": "AMD", "vcpu_type": "dedicated"},
}
# bare-metal CPUs of the recorded models: (manufacturer, MHz, physical CPUs)
_METAL_CPU = {
    "E3-1270v6": ("Intel", 3800, 1), "E-2288G": ("Intel", 3700, 1),
    "E-2286G": ("Intel", 4000, 1), "EPYC 7443P": ("AMD", 2850, 1),
}


def ordered(item: Item, defaults: Item, order: tuple[str, ...]) -> Item:
    """The item in 2026 field order: recorded values win, defaults fill the gaps, unknown keys last."""
    out: Item = {}
    for key in order:
        if key in item:
            out[key] = item[key]
        elif key in defaults:
            out[key] = defaults[key]
    out.update((k, v) for k, v in item.items() if k not in out)
    return out


def price_pair(item: Item) -> Item:
    """monthly/hourly and the preemptible pair; hourly synthesized (monthly / 730) when not recorded."""
    hourly_cost = item["hourly_cost"] if "hourly_cost" in item else hourly(item["monthly_cost"])
    return {"monthly_cost": item["monthly_cost"], "hourly_cost": hourly_cost,
            "monthly_cost_preemptible": item["monthly_cost"], "hourly_cost_preemptible": hourly_cost}


def modern_cloud(item: Item, location_cost: Item) -> Item:
    defaults = {
        **_CLOUD.get(item.get("type", ""), _CLOUD["vc2"]), **price_pair(item),
        "invoice_type": "monthly", "storage_type": "local_storage", "deploy_ondemand": True,
        "deploy_preemptible": False, "location_cost": location_cost, "gpu_brand": "none",
    }
    return ordered(item, defaults, CLOUD_ORDER)


def modern_metal(item: Item, vendor_field: str) -> Item:
    """A recorded 2022 bare-metal plan in the 2026 shape; the CPU maker (from its model) goes in
    ``vendor_field``: live answers use ``cpu_vendor`` on some plans, ``cpu_manufacturer`` on others."""
    maker, mhz, sockets = _METAL_CPU.get(item.get("cpu_model", ""), ("Intel", 3000, 1))
    defaults = {
        "physical_cpus": sockets, "cpu_cores": item.get("cpu_count"), vendor_field: maker,
        "cpu_mhz": mhz, **price_pair(item), "invoice_type": "monthly", "deploy_ondemand": True,
        "deploy_preemptible": False, "gpu_brand": "none",
    }
    return ordered(item, defaults, METAL_ORDER)


def fold_variants(plans: list[Item]) -> list[Item]:
    """2026 plans: ``<id>-sc1`` variants become ``location_cost`` overrides of ``<id>``.

    A variant offered nowhere (``locations: []`` in the recording) is dropped: there is no region
    its price could apply to."""
    ids = {p["id"] for p in plans}
    overrides: dict[str, Item] = {}
    for plan in plans:
        base = plan["id"].removesuffix("-sc1")
        if base != plan["id"] and base in ids:
            overrides.setdefault(base, {}).update({rid: price_pair(plan) for rid in plan["locations"]})
    out = []
    for plan in plans:
        if plan["id"].endswith("-sc1") and plan["id"].removesuffix("-sc1") in ids:
            continue
        location_cost = overrides.get(plan["id"], {})
        item = dict(plan)
        item["locations"] = list(plan["locations"]) + [r for r in location_cost if r not in plan["locations"]]
        out.append(modern_cloud(item, location_cost))
    return out
