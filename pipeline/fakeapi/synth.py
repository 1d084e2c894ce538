"""Synthetic but realistic catalog items, derived from the recorded ones.

Uses: ``synthetic_variants`` pads a catalog with storage variants of real plans so
pagination over hundreds of plans can be tested; ``families_2026`` adds a slice of each 2026
family (vhp, voc-*, vcg GPU plans with fractional GPUs, a preemptible-only GPU plan) to the
2026 catalogs (gpu2026.py adds vdm, vx1 and GPU bare metal); ``large_plans``/``extra_os`` scale it up
to the size of today's live catalog (~215 plans, ~35 OS) for the timeline benchmark. Ids
follow Vultr's real naming (``voc-g-2c-8gb-50s-amd``: ``50s`` is the storage), objects take
exactly the 2026 shape (SHAPE-2026.md). All of it is synthetic (see README PROVENANCE).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .hashing import key64, unit

Item = dict[str, Any]


def money(value: Decimal) -> int | float:
    """A price as the API writes it: 5 not 5.0, 7.5 not 7.50."""
    return int(value) if value == value.to_integral_value() else float(value)


def hourly(monthly: int | float) -> float:
    """Vultr's hourly price is the monthly one over 730 h, to three decimals."""
    value = Decimal(str(monthly)) / Decimal(730)
    return float(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def synthetic_variants(plans: list[Item], count: int) -> list[Item]:
    """``count`` storage variants (``<id>-<disk>s``) of real plans, same field set and locations."""
    bases = [p for p in plans if p.get("locations") and not p["id"].endswith("-sc1")]
    if count <= 0 or not bases:
        return []
    taken = {p["id"] for p in plans}
    out: list[Item] = []
    for k in range(count):
        base, step = bases[k % len(bases)], k // len(bases) + 1
        disk = int(base["disk"]) + 50 * step
        plan = dict(base)  # keeps the recorded field order
        plan["id"] = f"{base['id']}-{disk}s"
        while plan["id"] in taken:
            disk += 1
            plan["id"] = f"{base['id']}-{disk}s"
        taken.add(plan["id"])
        plan["disk"] = disk
        plan["monthly_cost"] = money(Decimal(str(base["monthly_cost"])) + 2 * step)
        if "hourly_cost" in plan:
            plan["hourly_cost"] = hourly(plan["monthly_cost"])
        if "monthly_cost_preemptible" in plan:  # the pair equals on-demand for these variants
            plan["monthly_cost_preemptible"] = plan["monthly_cost"]
            plan["hourly_cost_preemptible"] = plan.get("hourly_cost", hourly(plan["monthly_cost"]))
        plan["locations"] = list(base["locations"])
        out.append(plan)
    return out


def modern_plan(pid: str, vcpu: int, ram_gb: float, disk: int, monthly: Decimal, **kw: Any) -> Item:
    """A cloud plan with exactly the 2026 field set and order (SHAPE-2026.md)."""
    price = money(monthly.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    is_gpu = kw["type"] == "vcg"
    plan: Item = {
        "id": pid, "vcpu_count": vcpu, "ram": int(ram_gb * 1024), "disk": disk,
        "disk_type": "CLOUDGPU" if is_gpu else "NVMe", "disk_count": 1,
        "bandwidth": kw.get("bandwidth", 5120), "monthly_cost": price, "hourly_cost": hourly(price),
        "monthly_cost_preemptible": price, "hourly_cost_preemptible": hourly(price),
        "invoice_type": "hourly" if is_gpu else "monthly", "type": kw["type"],
        "locations": kw["locations"], "cpu_vendor": kw["vendor"], "storage_type": "local_storage",
        "vcpu_type": kw.get("vcpu_type", "dedicated"), "deploy_ondemand": True,
        "deploy_preemptible": is_gpu, "location_cost": kw.get("location_cost", {}),
        "gpu_brand": "none",
    }
    if is_gpu:
        vram, gpu_type, count = kw["gpu"]
        plan.update(gpu_brand=gpu_type.split("_")[0], gpu_vram_gb=vram, gpu_type=gpu_type,
                    gpu_count=count)
    return plan


def gpu_count(vram: int, full_vram: int) -> int | str:
    """Whole GPUs as a number, a share of one GPU as the API's string fraction ("1/4")."""
    share = Fraction(vram, full_vram)
    return int(share) if share.denominator == 1 else f"{share.numerator}/{share.denominator}"


def spread(region_ids: list[str], share: float, tag: str, seed: int) -> list[str]:
    """A seeded subset of regions (never empty) where a family is offered."""
    picked = [r for r in region_ids if unit(key64("loc", seed, tag, r)) < share]
    return picked or region_ids[:1]


_VHP = [(1, 1, 6), (1, 2, 12), (2, 2, 18), (2, 4, 24), (4, 8, 48), (4, 12, 72), (8, 16, 96),
        (12, 24, 144)]
_VOC = {  # family: (sizes (vcpu, ram_gb), disks, price per vcpu, per GB RAM, per GB disk, vendors)
    "g": ([(1, 4), (2, 8), (4, 16), (8, 32), (16, 64), (24, 96), (32, 128), (40, 160),
           (64, 256), (96, 384)], (30, 50, 80), "15", "5", "0.1", ("amd", "intel")),
    "c": ([(2, 4), (4, 8), (8, 16), (16, 32), (32, 64), (48, 96), (64, 128)],
          (50, 75, 100), "20", "5", "0.1", ("amd", "intel")),
    "m": ([(1, 8), (2, 16), (4, 32), (8, 64), (16, 128), (24, 192), (32, 256), (48, 384),
           (64, 512)], (50, 100, 150), "10", "7", "0.1", ("amd",)),
    "s": ([(1, 8), (2, 16), (4, 32), (8, 64), (16, 128), (24, 192)],
          (150, 300, 450), "10", "6", "0.3", ("amd",)),
}
_GPU = {  # gpu: (type, VRAM of one whole GPU, sizes (vcpu, ram_gb, vram_gb), price per GB vram)
    "a16": ("NVIDIA_A16", 16, [(1, 6, 2), (2, 16, 4), (3, 32, 8), (6, 64, 16), (12, 128, 32),
                               (24, 256, 64)], "22"),
    "a40": ("NVIDIA_A40", 48, [(1, 5, 2), (2, 10, 4), (4, 20, 8), (6, 30, 16), (24, 120, 48)], "32"),
    "a100": ("NVIDIA_A100", 80, [(1, 6, 4), (2, 15, 10), (3, 30, 20), (12, 120, 80)], "36"),
    "l40s": ("NVIDIA_L40S", 48, [(4, 45, 12), (8, 90, 24), (16, 180, 48)], "38"),
    "h100": ("NVIDIA_H100", 80, [(2, 30, 10), (4, 60, 20), (8, 120, 40), (16, 240, 80)], "45"),
}


def _vhp_plans(region_ids: list[str], seed: int, sizes: list[tuple[int, int, int]]) -> list[Item]:
    out = []
    for vendor in ("amd", "intel"):
        locs = spread(region_ids, 0.85, f"vhp-{vendor}", seed)
        for vcpu, ram, price in sizes:
            out.append(modern_plan(f"vhp-{vcpu}c-{ram}gb-{vendor}", vcpu, ram, 25 * ram + 25,
                               Decimal(price), type="vhp", locations=locs,
                               vendor="AMD" if vendor == "amd" else "Intel"))
    return out


def _voc_plans(region_ids: list[str], seed: int, small: bool = False) -> list[Item]:
    out = []
    for fam, (sizes, disks, per_cpu, per_gb, per_disk, vendors) in _VOC.items():
        for vendor in vendors:
            locs = spread(region_ids, 0.6, f"voc-{fam}-{vendor}", seed)
            grid = [(sizes[0], 1)] if small else [(s, m) for s in sizes for m in (1, 2, 3)]
            for (vcpu, ram), mult in grid:
                disk = disks[mult - 1] * max(1, vcpu // 2)
                price = vcpu * Decimal(per_cpu) + ram * Decimal(per_gb) + disk * Decimal(per_disk)
                out.append(modern_plan(f"voc-{fam}-{vcpu}c-{ram}gb-{disk}s-{vendor}", vcpu, ram,
                                   disk, price, type=f"voc-{fam}", locations=locs,
                                   vendor="AMD" if vendor == "amd" else "Intel"))
    return out


def _gpu_plans(region_ids: list[str], seed: int, gpus: tuple[str, ...] = tuple(_GPU)) -> list[Item]:
    out = []
    for gpu in gpus:
        gpu_type, full, sizes, per_vram = _GPU[gpu]
        locs = spread(region_ids, 0.25, f"vcg-{gpu}", seed)
        for vcpu, ram, vram in sizes:
            price = vram * Decimal(per_vram) + vcpu * 10
            out.append(modern_plan(f"vcg-{gpu}-{vcpu}c-{ram}g-{vram}vram", vcpu, ram, 50 * vcpu,
                               price, type="vcg", locations=locs, vendor="AMD",
                               gpu=(vram, gpu_type, gpu_count(vram, full))))
    return out


def _preemptible_only_gpu(region_ids: list[str], seed: int) -> Item:
    """A cloud GPU sold only as preemptible: its on-demand price exists but cannot be bought."""
    plan = modern_plan("vcg-mi300x-8c-120g-192vram", 8, 120, 400, Decimal(6570), type="vcg",
                   locations=spread(region_ids, 0.2, "vcg-mi300x", seed), vendor="AMD",
                   gpu=(192, "AMD_MI300X", 1))
    plan.update(monthly_cost_preemptible=3285, hourly_cost_preemptible=4.5,
                deploy_ondemand=False, deploy_preemptible=True)
    return plan


def families_2026(region_ids: list[str]) -> list[Item]:
    """A small slice of each 2026 family for the default catalog (vhp, voc-*, vcg incl. fractions)."""
    ids = sorted(region_ids)
    return (_vhp_plans(ids, 0, _VHP[:4]) + _voc_plans(ids, 0, small=True)
            + _gpu_plans(ids, 0, ("a16", "l40s", "h100")) + [_preemptible_only_gpu(ids, 0)])


def large_plans(region_ids: list[str], seed: int = 0) -> list[Item]:
    """Plan families of today's catalog (vhp, voc-*, vcg) absent from the recordings."""
    ids = sorted(region_ids)
    return _vhp_plans(ids, seed, _VHP) + _voc_plans(ids, seed) + _gpu_plans(ids, seed)


def extra_os() -> list[Item]:
    """Three current images absent from the 2022 recording (real Vultr ids)."""
    return [
        {"id": 1868, "name": "AlmaLinux 9 x64", "arch": "x64", "family": "almalinux"},
        {"id": 2136, "name": "Debian 12 x64 (bookworm)", "arch": "x64", "family": "debian"},
        {"id": 2284, "name": "Ubuntu 24.04 LTS x64", "arch": "x64", "family": "ubuntu"},
    ]
