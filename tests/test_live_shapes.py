"""The live API's irregular shapes (SHAPE-2026.md, "Where the live API is less regular"), each through
the model: vdm GPU plans without GPU fields (from the packaged table, or known only from the id),
bare-metal vCPUs as threads, cpu_vendor or cpu_manufacturer, CPU allocation, vx1, link speed, plan
names, IPv6-only and free plans, both São Paulo shapes, `type=voc`.

The recorded 2026 bodies (HostingBot's vc2 plans and regions) are real; every other item below is
SYNTHETIC, shaped per SHAPE-2026.md (its field sets and value kinds; the prices are made up). Each
catalog is stored and applied as a collection stores it (`ingest`) and published, then read through
the CLI and the read API like any other.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import queries
from pipeline.cli import main
from pipeline.collect.collector import ingest, publish_or_fail
from pipeline.collect.http import Call
from pipeline.queries.status import collector_status, render_status
from pipeline.warehouse import store as warehouse
from tests.test_normalize import body, rows, stage

NOW = datetime(2026, 7, 1, tzinfo=UTC)
META = {"total": 0, "links": {"next": "", "prev": ""}}
PRICE_KEYS = ("monthly_cost", "hourly_cost")


def synthetic_plan(plan_id: str, plan_type: str, vcpu: int, ram: int, monthly: float, hourly: float,
                   locations: list[str], **extra) -> dict:
    """SYNTHETIC: a 2026 cloud plan object (SHAPE-2026.md's field set), prices made up."""
    return {"id": plan_id, "vcpu_count": vcpu, "ram": ram, "disk": 100, "disk_type": "SSD", "disk_count": 1,
            "bandwidth": 2048, "monthly_cost": monthly, "hourly_cost": hourly, "invoice_type": "hourly",
            "type": plan_type, "locations": locations, "cpu_vendor": "AMD", "storage_type": "local_storage",
            "vcpu_type": "thread", "deploy_ondemand": True, "deploy_preemptible": False, **extra}


# vdm: dedicated metal GPU plans, sent without gpu_type / gpu_vram_gb / gpu_count
VDM_TABLE = synthetic_plan("vcg-h100-216c-1914gb-640vram", "vdm", 216, 1959936, 16000, 22.0, ["ewr", "sjc"])
VDM_FROM_ID = synthetic_plan("vcg-l40s-64c-480g-192vram", "vdm", 64, 491520, 4200, 5.8, ["ewr"])
VDM_UNKNOWN = synthetic_plan("vcg-x900-32c-256g-320vram", "vdm", 32, 262144, 3000, 4.1, ["ewr"])
CLOUD_GPU = synthetic_plan("vcg-a16-2c-16g-4vram", "vcg", 2, 16384, 86, 0.118, ["ewr"], gpu_brand="NVIDIA",
                           gpu_vram_gb=4, gpu_type="NVIDIA_A16", gpu_count="1/4")
VX1 = synthetic_plan("vx1-g-2c-8g", "vx1", 2, 8192, 43, 0.059, ["ewr", "sao"], disk_type="VX",
                     link_speed=2, link_type="dedicated", name="VX1 2 vCPU 8 GB")
VOC = synthetic_plan("voc-c-2c-4gb-50s-amd", "voc-c", 2, 4096, 40, 0.055, ["ewr"], link_speed=5,
                     link_type="shared")
FREE = {**synthetic_plan("vc2-1c-0.5gb-free", "vc2", 1, 512, 0, 0, ["ewr"]), "bandwidth": 0, "invoice_type": "monthly"}
METAL = [  # SYNTHETIC bare metal: vendor as cpu_manufacturer on one, cpu_vendor on another; a GPU machine
    {"id": "vbm-6c-32gb", "physical_cpus": 1, "cpu_count": 6, "cpu_cores": 6, "cpu_threads": 12,
     "cpu_manufacturer": "Intel", "cpu_model": "E-2286G", "cpu_mhz": 4000, "ram": 32768, "disk": 960,
     "disk_count": 2, "bandwidth": 5120, "monthly_cost": 185, "hourly_cost": 0.253, "invoice_type": "monthly",
     "type": "SSD", "deploy_ondemand": True, "deploy_preemptible": False, "locations": ["ewr", "sao"]},
    {"id": "vbm-24c-256gb-amd", "physical_cpus": 1, "cpu_count": 24, "cpu_cores": 24, "cpu_threads": 48,
     "cpu_vendor": "AMD", "cpu_model": "EPYC 7443P", "cpu_mhz": 2850, "ram": 262144, "disk": 1920,
     "disk_count": 2, "bandwidth": 10240, "monthly_cost": 725, "hourly_cost": 1.075, "invoice_type": "monthly",
     "type": "NVMe", "deploy_ondemand": True, "deploy_preemptible": False, "locations": ["ewr"]},
    {"id": "vbm-112c-2048gb-8-h100-gpu", "physical_cpus": 2, "cpu_count": 112, "cpu_cores": 112,
     "cpu_threads": 224, "cpu_vendor": "Intel", "cpu_model": "Xeon 8480+", "cpu_mhz": 2000, "ram": 2097152,
     "disk": 960, "disk_count": 2, "bandwidth": 15360, "monthly_cost": 17000, "hourly_cost": 23.3,
     "invoice_type": "hourly", "type": "NVMe", "deploy_ondemand": True, "deploy_preemptible": False,
     "locations": ["ewr"]},
]
EXTRA_PLANS = [VDM_TABLE, VDM_FROM_ID, VDM_UNKNOWN, CLOUD_GPU, VX1, VOC, FREE]


def recorded_plans() -> list[dict]:
    """The real January 2026 vc2 plans: São Paulo as separate `-sc1` plans, no `location_cost`."""
    return json.loads(body("v2/hostingbot_v2_plans_subset_2026.json"))


def folded(plans: list[dict]) -> list[dict]:
    """SYNTHETIC, derived from the recording: the later shape, each `-sc1` plan folded into its base
    plan's `location_cost` (and `sao` into its locations), as SHAPE-2026.md describes."""
    variants = {p["id"].removesuffix("-sc1"): p for p in plans if p["id"].endswith("-sc1")}
    out = []
    for plan in plans:
        if plan["id"].endswith("-sc1"):
            continue
        sao = variants.get(plan["id"])
        cost = {"sao": {k: sao[k] for k in PRICE_KEYS}} if sao else {}
        out.append({**plan, "locations": plan["locations"] + (["sao"] if sao else []), "location_cost": cost})
    return out


def calls(plans: list[dict]) -> list[tuple[str, str, dict, bytes]]:
    regions = json.loads(body("v2/hostingbot_v2_regions_array_2026.json"))
    everything = plans + EXTRA_PLANS + METAL
    stock = {region: [p["id"] for p in everything if region in p["locations"]] for region in ("ewr", "sao", "sjc")}
    return [("regions", "/regions", {}, json.dumps({"regions": regions, "meta": META}).encode()),
            ("plans", "/plans", {"type": "all"}, json.dumps({"plans": plans + EXTRA_PLANS, "meta": META}).encode()),
            ("plans_metal", "/plans-metal", {}, json.dumps({"plans_metal": METAL, "meta": META}).encode()),
            ("os", "/os", {}, body("v2/libcloud_v2_os.json")),
            *[("availability", f"/regions/{r}/availability", {}, json.dumps({"available_plans": ids}).encode())
              for r, ids in stock.items()]]


def publish_catalog(data_dir: Path, answers: list[tuple[str, str, dict, bytes]]) -> Path:
    """Store and apply the answers as one collection does, then publish the catalog."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.open_warehouse(data_dir) as con:
        sid = warehouse.start_snapshot(con, "v2", "test", NOW, True)
        ingest(con, sid, "v2", [Call(e, p, q, 200, b, 1.0, NOW) for e, p, q, b in answers], NOW)
        publish_or_fail(con, data_dir, sid)
    return data_dir


@pytest.fixture(scope="module")
def separate_sao(tmp_path_factory) -> Path:
    return publish_catalog(tmp_path_factory.mktemp("shape") / "sc1", calls(recorded_plans()))


@pytest.fixture(scope="module")
def folded_sao(tmp_path_factory) -> Path:
    return publish_catalog(tmp_path_factory.mktemp("shape") / "folded", calls(folded(recorded_plans())))


def cheapest_json(capsys, data_dir: Path, *args: str) -> tuple[list[dict], str]:
    assert main(["cheapest", *args, "--format", "json", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def plan_rows(data_dir: Path) -> dict[str, dict]:
    with queries.catalog(data_dir) as con:
        return rows(queries.run_sql(con, "select * from plans"), "plan_id")


# -- normalization of each irregular shape -------------------------------------------------------------
def test_vdm_gpu_facts_from_the_table_from_the_id_or_unknown(folded_sao):
    plans = plan_rows(folded_sao)
    gpu = ("has_gpu", "gpu_brand", "gpu_type", "gpu_count", "gpu_vram_gb", "gpu_source")
    assert [plans["vcg-h100-216c-1914gb-640vram"][c] for c in gpu] == [
        True, "NVIDIA", "NVIDIA_H100", Decimal(8), 640, "table"]
    assert [plans["vcg-l40s-64c-480g-192vram"][c] for c in gpu] == [
        True, "NVIDIA", "NVIDIA_L40S", Decimal(4), 192, "plan_id"]
    assert [plans["vbm-112c-2048gb-8-h100-gpu"][c] for c in gpu] == [
        True, "NVIDIA", "NVIDIA_H100", Decimal(8), 640, "plan_id"]
    assert [plans["vcg-a16-2c-16g-4vram"][c] for c in gpu] == [
        True, "NVIDIA", "NVIDIA_A16", Decimal("0.25"), 4, "api"]
    # a GPU plan whose facts nothing gives: still a GPU plan, with unknown facts (never dropped)
    assert [plans["vcg-x900-32c-256g-320vram"][c] for c in gpu] == [True, None, None, None, None, None]
    assert plans["vc2-1c-1gb"]["gpu_source"] is None and plans["vc2-1c-1gb"]["has_gpu"] is None


def test_bare_metal_vcpus_are_threads_and_the_vendor_comes_from_either_field(folded_sao):
    plans = plan_rows(folded_sao)
    six = plans["vbm-6c-32gb"]
    assert (six["vcpu_count"], six["cpu_core_count"], six["cpu_thread_count"], six["cpu_vendor"]) == (
        12, 6, 12, "Intel")  # cpu_manufacturer
    amd = plans["vbm-24c-256gb-amd"]
    assert (amd["vcpu_count"], amd["cpu_core_count"], amd["cpu_vendor"]) == (48, 24, "AMD")  # cpu_vendor
    assert {plans[m["id"]]["cpu_allocation"] for m in METAL} == {"dedicated"}


def test_cpu_allocation_link_name_ipv6_only_and_free(folded_sao):
    plans = plan_rows(folded_sao)
    allocation = {pid: p["cpu_allocation"] for pid, p in plans.items()}
    assert allocation["vc2-1c-1gb"] == "shared" and allocation["vx1-g-2c-8g"] == "dedicated"
    assert allocation["voc-c-2c-4gb-50s-amd"] == "dedicated" and allocation["vcg-h100-216c-1914gb-640vram"] == "dedicated"
    vx1 = plans["vx1-g-2c-8g"]
    assert (vx1["link_speed_gbps"], vx1["link_type"], vx1["plan_name"], vx1["disk_type"]) == (
        Decimal(2), "dedicated", "VX1 2 vCPU 8 GB", "VX")
    assert plans["vc2-1c-0.5gb-v6"]["is_ipv6_only"] is True and plans["vc2-1c-1gb"]["is_ipv6_only"] is False
    assert plans["vc2-1c-0.5gb-free"]["is_for_sale"] is False and plans["vc2-1c-1gb"]["is_for_sale"] is True


def test_v1_fills_what_it_can(tmp_path):
    from tests.test_normalize import v1_calls

    got = rows(stage(tmp_path, "v1", v1_calls())["stg_plans"], "plan_id")
    assert {(p["plan_type"], p["cpu_allocation"]) for p in got.values()} == {
        ("vc2", "shared"), ("vhf", "shared"), ("vdc", "dedicated")}
    assert all(p["is_for_sale"] is (p["monthly_cost_usd"] > 0) for p in got.values())
    assert all(p["plan_name"] for p in got.values())


# -- answers --------------------------------------------------------------------------------------------
def test_gpu_filters_see_vdm_plans_and_name_what_they_cannot_judge(capsys, folded_sao):
    found, err = cheapest_json(capsys, folded_sao, "--region", "any", "--each-region", "--min-gpu-vram-gb", "80",
                               "--include-sold-out")
    assert [(r["plan_id"], r["gpu_vram_gb"], r["gpu_source"]) for r in found] == [
        ("vcg-l40s-64c-480g-192vram", 192, "plan_id"), ("vcg-h100-216c-1914gb-640vram", 640, "table"),
        ("vcg-h100-216c-1914gb-640vram", 640, "table"), ("vbm-112c-2048gb-8-h100-gpu", 640, "plan_id")]
    notes = [line for line in err.splitlines() if "could not be judged" in line]
    assert notes == ["note: 1 GPU plan could not be judged by the GPU filter (GPU facts unknown): "
                     "vcg-x900-32c-256g-320vram"]
    h100, _ = cheapest_json(capsys, folded_sao, "--region", "any", "--gpu-type", "nvidia_h100", "--include-sold-out")
    assert {r["plan_id"] for r in h100} == {"vcg-h100-216c-1914gb-640vram", "vbm-112c-2048gb-8-h100-gpu"}
    # no GPU filter: nothing to judge, no note
    _, err = cheapest_json(capsys, folded_sao, "--region", "ewr", "--include-sold-out")
    assert "could not be judged" not in err
    status = collector_status(folded_sao)
    assert status["unknown_gpu_plans"] == ["vcg-x900-32c-256g-320vram"]
    assert "unknown GPUs" in render_status(status) and "vcg-x900-32c-256g-320vram" in render_status(status)


def test_bare_metal_with_16_vcpus_counts_threads(capsys, folded_sao):
    found, _ = cheapest_json(capsys, folded_sao, "--region", "any", "--type", "vbm", "--min-vcpu", "8")
    assert found[0]["plan_id"] == "vbm-6c-32gb" and found[0]["vcpu_count"] == 12
    sixteen, _ = cheapest_json(capsys, folded_sao, "--region", "any", "--type", "vbm", "--min-vcpu", "16")
    assert sixteen[0]["plan_id"] == "vbm-24c-256gb-amd" and sixteen[0]["monthly_cost_per_vcpu_usd"] == 15.1042


def test_cpu_allocation_filter_and_the_voc_family(capsys, folded_sao):
    dedicated, _ = cheapest_json(capsys, folded_sao, "--region", "ewr", "--cpu-allocation", "dedicated")
    shared, _ = cheapest_json(capsys, folded_sao, "--region", "ewr", "--cpu-allocation", "shared")
    assert dedicated and {r["cpu_allocation"] for r in dedicated} == {"dedicated"}
    assert shared and {r["plan_type"] for r in shared} == {"vc2"}
    assert {"vx1-g-2c-8g", "voc-c-2c-4gb-50s-amd", "vbm-6c-32gb"} <= {r["plan_id"] for r in dedicated}
    voc, _ = cheapest_json(capsys, folded_sao, "--region", "any", "--type", "voc")
    assert [r["plan_id"] for r in voc] == ["voc-c-2c-4gb-50s-amd"]
    with pytest.raises(SystemExit) as usage:
        main(["cheapest", "--region", "ewr", "--cpu-allocation", "burst", "--data-dir", str(folded_sao)])
    assert usage.value.code == 2


def test_a_free_plan_is_never_a_cheapest_answer(capsys, folded_sao):
    found, _ = cheapest_json(capsys, folded_sao, "--region", "ewr", "--type", "vc2", "--include-sold-out")
    assert found and "vc2-1c-0.5gb-free" not in {r["plan_id"] for r in found}
    assert all(r["monthly_cost_usd"] > 0 for r in found)
    with queries.catalog(folded_sao) as con:
        per_region = queries.cheapest_per_region(con)
    assert "vc2-1c-0.5gb-free" not in set(per_region["plan_id"])


@pytest.mark.parametrize("flags", [["--type", "vc2"], []], ids=["vc2", "any-type"])
def test_both_sao_shapes_give_the_same_answer_each_naming_its_own_plan(capsys, separate_sao, folded_sao, flags):
    args = ["--region", "sao", *flags, "--include-sold-out"]
    separate, _ = cheapest_json(capsys, separate_sao, *args)
    one, _ = cheapest_json(capsys, folded_sao, *args)
    assert (separate[0]["plan_id"], one[0]["plan_id"]) == ("vc2-1c-1gb-sc1", "vc2-1c-1gb")
    assert (separate[0]["monthly_cost_usd"], separate[0]["hourly_cost_usd"]) == (7.5, 0.01)
    assert [(r["monthly_cost_usd"], r["hourly_cost_usd"]) for r in separate] == [
        (r["monthly_cost_usd"], r["hourly_cost_usd"]) for r in one]
    # each names the plan one would deploy there: the -sc1 plan, or the base plan at its regional price
    assert [r["plan_id"].removesuffix("-sc1") for r in separate] == [r["plan_id"] for r in one]
    assert all(r["is_regional_price"] for r in one if r["plan_type"] == "vc2")


# -- fleet ------------------------------------------------------------------------------------------------
def server(plan_id: str, vcpu: int, ram: int, disk: int, metal: bool = False) -> dict:
    return {"server_id": plan_id, "label": plan_id, "region_id": "ewr", "plan_id": plan_id, "vcpu_count": vcpu,
            "ram_mb": ram, "disk_gb": disk, "is_bare_metal": metal, "created_at": NOW}


def test_fleet_keeps_dedicated_for_dedicated_and_a_gpu_for_a_gpu(folded_sao):
    servers = [server("voc-c-2c-4gb-50s-amd", 2, 4096, 50), server("vcg-l40s-64c-480g-192vram", 64, 491520, 100),
               server("vc2-2c-4gb", 2, 4096, 80), server("vx1-g-2c-4g-gone", 2, 4096, 50),
               server("vbm-6c-32gb", 6, 32768, 960, metal=True)]  # a bare-metal server reports cores
    with queries.catalog(folded_sao) as con:
        costs = rows(queries.fleet_costs(con, servers), "server_id")
    plans = plan_rows(folded_sao)
    voc = costs["voc-c-2c-4gb-50s-amd"]["cheapest_plan_id"]
    assert plans[voc]["cpu_allocation"] == "dedicated"  # vc2-2c-4gb (20) is cheaper but shared
    gpu = costs["vcg-l40s-64c-480g-192vram"]["cheapest_plan_id"]
    assert plans[gpu]["has_gpu"] and plans[gpu]["gpu_vram_gb"] >= 192
    assert costs["vc2-2c-4gb"]["cheapest_plan_id"] == "vc2-2c-4gb"
    # a plan the catalog never listed: dedicated like the current plans of its type (vx1)
    assert costs["vx1-g-2c-4g-gone"]["cheapest_plan_id"] == "voc-c-2c-4gb-50s-amd"
    # 12 threads: the 6-core machine itself, never a smaller one
    assert costs["vbm-6c-32gb"]["cheapest_plan_id"] == "vbm-6c-32gb"
