"""The 2026 plan families the recordings lack or show only in part: vdm, vx1 and GPU bare metal.

* vdm (dedicated metal GPU, on /v2/plans): the ids are the ones public crawler code keeps in its
  table (SHAPE-2026.md); like the live API they carry NO ``gpu_type``, ``gpu_vram_gb``,
  ``gpu_count`` (nor ``gpu_brand``). vCPUs and RAM follow the id; prices, disks and locations are
  SYNTHETIC.
* vx1: ids in Vultr's real naming (``vx1-g-2c-8g``, seen in public deploy code), ``disk_type``
  ``VX`` with the storage on the network (SHAPE-2026.md); sizes, prices and locations SYNTHETIC.
* GPU bare metal: the two answers recorded by dstack's gpuhunt (``vbm-256c-2048gb-8-mi300x-gpu``,
  ``vbm-112c-2048gb-8-h100-gpu``: no GPU fields, no CPU vendor field) served as recorded, and the
  preemptible-only A100 machine of SHAPE-2026.md's example (which does carry GPU fields).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .recorded import load_json
from .synth import modern_plan, spread

Item = dict[str, Any]

# plan id -> SYNTHETIC hourly price of the whole machine (USD)
VDM = {"vcg-a16-96c-878g-256vram": "7.50", "vcg-a100-96c-896g-320vram": "9.60",
       "vcg-h100-216c-1914gb-640vram": "23.92", "vcg-b200-248c-2826g-1536vram": "39.92",
       "vcg-mi325x-252c-2872g-1536vram": "27.90", "vcg-mi355x-252c-2872g-2304vram": "33.50"}
_VDM_ID = re.compile(r"^vcg-[a-z0-9]+-(\d+)c-(\d+)gb?-\d+vram$")
_VX1 = [(2, 8), (4, 16), (8, 32), (16, 64)]  # SYNTHETIC sizes (vCPUs, GB RAM)


def vdm_plans(region_ids: list[str]) -> list[Item]:
    """The vdm plans, without any GPU field (as the live API sends them)."""
    ids, out = sorted(region_ids), []
    for pid, hourly_cost in VDM.items():
        match = _VDM_ID.match(pid)
        assert match is not None, pid
        cores, ram_gb = int(match.group(1)), int(match.group(2))
        price = (Decimal(hourly_cost) * 730).quantize(Decimal("1"))
        plan = modern_plan(pid, cores, ram_gb, 7680, price, type="vdm", vendor="AMD",
                       locations=spread(ids, 0.12, pid, 0))
        plan.update(invoice_type="hourly", hourly_cost=float(hourly_cost),
                    hourly_cost_preemptible=float(hourly_cost))
        del plan["gpu_brand"]
        out.append(plan)
    return out


def vx1_plans(region_ids: list[str]) -> list[Item]:
    """vx1 plans: dedicated vCPUs, the disk a network volume (``disk_type`` VX)."""
    ids, out = sorted(region_ids), []
    locations = spread(ids, 0.5, "vx1", 0)
    for vcpu, ram_gb in _VX1:
        plan = modern_plan(f"vx1-g-{vcpu}c-{ram_gb}g", vcpu, ram_gb, 0, Decimal(vcpu * 12 + ram_gb * 3),
                       type="vx1", vendor="AMD", locations=locations)
        plan.update(disk_type="VX", storage_type="network_storage")
        out.append(plan)
    return out


def metal_gpu() -> list[Item]:
    """GPU bare metal: two recorded answers (no GPU fields) and SHAPE-2026.md's preemptible-only A100."""
    recorded = load_json("v2/gpuhunt_v2_plans_metal_gpu.json")["plans_metal"]
    a100 = {
        "id": "vbm-64c-2048gb-8-a100-gpu", "physical_cpus": 2, "cpu_count": 64, "cpu_cores": 64,
        "cpu_threads": 128, "cpu_vendor": "AMD", "cpu_model": "EPYC 7763", "cpu_mhz": 2450,
        "ram": 2097152, "disk": 1920, "disk_count": 2, "bandwidth": 15360, "monthly_cost": 16352,
        "hourly_cost": 22.4, "monthly_cost_preemptible": 8701.6, "hourly_cost_preemptible": 11.92,
        "invoice_type": "hourly", "type": "NVMe", "deploy_ondemand": False, "deploy_preemptible": True,
        "locations": [], "gpu_brand": "NVIDIA", "gpu_vram_gb": 640, "gpu_type": "NVIDIA_A100_SXM",
        "gpu_count": 8,
    }
    return [*recorded, a100]
