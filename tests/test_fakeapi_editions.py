"""The emulator's two 2026 catalogs over loopback HTTP: the January 2026 recording's shape and the
mid-2026 shape (SHAPE-2026.md, "Where the live API is less regular"), the same machines in both."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pipeline.fakeapi import FakeVultr

RECORDINGS = Path(__file__).resolve().parents[1] / "pipeline" / "fakeapi" / "recordings" / "v2"
CATALOGS = ("2026-07", "2026-01")
# the dedicated metal GPU plans of the crawler's table (SHAPE-2026.md)
VDM_IDS = {"vcg-a16-96c-878g-256vram", "vcg-a100-96c-896g-320vram", "vcg-h100-216c-1914gb-640vram",
           "vcg-b200-248c-2826g-1536vram", "vcg-mi325x-252c-2872g-1536vram", "vcg-mi355x-252c-2872g-2304vram"}
GPU_FIELDS = {"gpu_type", "gpu_vram_gb", "gpu_count"}
JANUARY_FIELDS = {"id", "vcpu_count", "ram", "disk", "disk_type", "disk_count", "bandwidth", "monthly_cost",
                  "hourly_cost", "invoice_type", "type", "locations", "cpu_vendor", "storage_type", "vcpu_type",
                  "clusterable", "deploy_ondemand", "deploy_preemptible"}


@pytest.fixture(scope="module", params=CATALOGS)
def served(request) -> Iterator[tuple[str, FakeVultr]]:
    with FakeVultr(catalog=request.param, rate_limit=False).start() as api:
        yield request.param, api


def items(api: FakeVultr, path: str, key: str, **params) -> list[dict]:
    return requests.get(api.base_url + path, params={"per_page": 500, **params}, timeout=5).json()[key]


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, list[dict]]]:
    out = {}
    for name in CATALOGS:
        api = FakeVultr(catalog=name, rate_limit=False)
        out[name] = {key: json.loads(api.handle("GET", f"{path}?per_page=500")[2])[key]
                     for path, key in (("/v2/plans", "plans"), ("/v2/plans-metal", "plans_metal"),
                                       ("/v2/regions", "regions"))}
    return out


def test_type_voc_means_every_voc_family_on_plans_and_availability(served) -> None:
    _, api = served
    voc = items(api, "/v2/plans", "plans", type="voc")
    assert {p["type"] for p in voc} == {"voc-g", "voc-c", "voc-m", "voc-s"}
    every = items(api, "/v2/plans", "plans")
    assert sorted(p["id"] for p in voc) == sorted(p["id"] for p in every if p["type"].startswith("voc-"))
    region = next(r for p in voc for r in p["locations"])
    stock = requests.get(f"{api.base_url}/v2/regions/{region}/availability?type=voc", timeout=5).json()
    everything = requests.get(f"{api.base_url}/v2/regions/{region}/availability", timeout=5).json()
    voc_ids = {p["id"] for p in voc}
    assert stock["available_plans"] and set(stock["available_plans"]) <= voc_ids
    assert stock["available_plans"] == [p for p in everything["available_plans"] if p in voc_ids]


def test_january_is_the_recording_sc1_plans_and_no_later_field(catalogs) -> None:
    january = catalogs["2026-01"]
    recorded = json.loads((RECORDINGS / "hostingbot_v2_plans_subset_2026.json").read_text())
    assert [p for p in january["plans"] if p["type"] == "vc2"] == recorded  # exactly as recorded
    assert january["regions"] == json.loads((RECORDINGS / "hostingbot_v2_regions_array_2026.json").read_text())
    sc1 = [p for p in january["plans"] if p["id"].endswith("-sc1") and p["locations"]]
    assert sc1 and all(p["locations"] == ["sao"] for p in sc1)
    for plan in january["plans"]:
        assert set(plan) - JANUARY_FIELDS <= GPU_FIELDS, plan["id"]  # no location_cost, preemptible, gpu_brand
    for machine in january["plans_metal"]:
        assert not {"monthly_cost_preemptible", "gpu_brand"} & set(machine), machine["id"]


def test_july_folds_sao_and_sends_the_2026_fields(catalogs) -> None:
    july = catalogs["2026-07"]
    plans = {p["id"]: p for p in july["plans"]}
    assert not [p for p in plans if p.endswith("-sc1")]
    assert plans["vc2-1c-1gb"]["location_cost"]["sao"]["monthly_cost"] == 7.5
    for plan in plans.values():
        assert {"location_cost", "monthly_cost_preemptible", "link_speed", "link_type", "name"} <= set(plan), plan["id"]
        assert plan["link_type"] == ("shared" if plan["type"] in ("vc2", "vhf", "vhp") else "dedicated")
    assert (plans["vc2-1c-0.5gb-free"]["monthly_cost"], plans["vc2-1c-0.5gb-free"]["hourly_cost"]) == (0, 0)
    assert "vc2-1c-0.5gb-v6" in plans
    regions = {r["id"]: r for r in july["regions"]}
    assert "mxp" in regions and all("connectivity" in r for r in regions.values())
    assert any("mxp" in p["locations"] for p in plans.values())


def test_vdm_and_vx1_plans_and_no_invented_gpu_fields(catalogs) -> None:
    for name, catalog in catalogs.items():
        plans = {p["id"]: p for p in catalog["plans"]}
        vdm = {pid for pid, p in plans.items() if p["type"] == "vdm"}
        assert vdm == VDM_IDS, name
        assert not [pid for pid in vdm if (GPU_FIELDS | {"gpu_brand"}) & set(plans[pid])]
        vx1 = [p for p in plans.values() if p["type"] == "vx1"]
        assert vx1 and all(p["disk_type"] == "VX" and p["storage_type"] != "local_storage" for p in vx1)
        # gpu_brand "none" only where a source shows it: never beside GPU facts, never on vdm or in January
        assert not [p for p in plans.values() if p.get("gpu_brand") == "none" and GPU_FIELDS & set(p)]
    assert not [p for p in catalogs["2026-01"]["plans"] if "gpu_brand" in p]


def test_bare_metal_mixes_vendor_fields_and_gpu_answers_lack_gpu_fields(catalogs) -> None:
    for name, catalog in catalogs.items():
        metal = {m["id"]: m for m in catalog["plans_metal"]}
        with_vendor = [m for m in metal.values() if "cpu_vendor" in m]
        with_maker = [m for m in metal.values() if "cpu_manufacturer" in m]
        assert with_vendor and with_maker and not set(map(id, with_vendor)) & set(map(id, with_maker)), name
        for pid in ("vbm-256c-2048gb-8-mi300x-gpu", "vbm-112c-2048gb-8-h100-gpu"):  # recorded by gpuhunt
            assert not (GPU_FIELDS | {"gpu_brand", "cpu_vendor", "cpu_manufacturer"}) & set(metal[pid]), (name, pid)
        assert metal["vbm-6c-32gb"]["cpu_threads"] == 12 and metal["vbm-6c-32gb"]["cpu_count"] == 6
    a100 = next(m for m in catalogs["2026-07"]["plans_metal"] if not m.get("deploy_ondemand", True))
    assert (a100["locations"], a100["gpu_count"], a100["hourly_cost_preemptible"] < a100["hourly_cost"]) == ([], 8, True)


def test_both_catalogs_sell_the_same_machines_at_the_same_prices(catalogs) -> None:
    january = {p["id"]: p for p in catalogs["2026-01"]["plans"]}
    july = {p["id"]: p for p in catalogs["2026-07"]["plans"]}
    offered_sc1 = {pid for pid, p in january.items() if pid.endswith("-sc1") and p["locations"]}
    assert set(july) - {"vc2-1c-0.5gb-free"} == {pid for pid in january if not pid.endswith("-sc1")}
    for pid in offered_sc1:  # January's São Paulo plan costs what July's base plan costs in sao
        base = july[pid.removesuffix("-sc1")]["location_cost"]["sao"]
        assert (base["monthly_cost"], base["hourly_cost"]) == (january[pid]["monthly_cost"], january[pid]["hourly_cost"])
    for pid, plan in january.items():
        if pid in july:
            assert (plan["monthly_cost"], plan["vcpu_count"], plan["ram"]) == (
                july[pid]["monthly_cost"], july[pid]["vcpu_count"], july[pid]["ram"])
    gpus = [p for p in july.values() if "gpu_count" in p]
    assert {"1/8", "1/4", "1/2", 1, 2} <= {p["gpu_count"] for p in gpus}
    assert all(p["invoice_type"] == "hourly" for p in july.values() if p["type"] in ("vcg", "vdm"))
