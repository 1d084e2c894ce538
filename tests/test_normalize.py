"""Every recorded sample, normalized field by field (table-driven), against an independent mapping."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.collect.http import Call
from pipeline.entities import ENTITIES
from pipeline.queries import frame
from pipeline.warehouse import store as warehouse
from pipeline.warehouse import transform

SAMPLES = Path(__file__).resolve().parents[1] / "pipeline" / "fakeapi" / "recordings"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
V1_TYPES = {"SSD": "vc2", "HIGHFREQUENCY": "vhf", "DEDICATED": "vdc"}


def body(name: str, wrap_key: str | None = None) -> bytes:
    raw = (SAMPLES / name).read_bytes()
    if wrap_key:  # the 2026 files hold only the items array: wrap them as the endpoint returns them
        return json.dumps({wrap_key: json.loads(raw), "meta": {"total": 0, "links": {"next": "", "prev": ""}}}).encode()
    return raw


def stage(tmp_path: Path, version: str, calls: list[tuple[str, str, dict, bytes]]):
    with warehouse.open_warehouse(tmp_path) as con:
        sid = warehouse.start_snapshot(con, version, "test", NOW, True)
        warehouse.store_calls(con, sid, [Call(e, p, q, 200, b, 1.0, NOW) for e, p, q, b in calls])
        warehouse.load_snapshot_bodies(con, sid)
        transform.build_staging(con, version)
        return {e.staging: frame(con, f"select * from {e.staging}") for e in ENTITIES}


def money(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def gpu_count(value) -> Decimal | None:
    """The API's GPU count: a number for whole GPUs, a string fraction ("1/4") for a share of one."""
    if value is None:
        return None
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/")
        return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"))
    return Decimal(str(value))


GPU_FACTS = json.loads((Path(__file__).resolve().parents[1] / "pipeline" / "warehouse" / "data"
                        / "gpu_facts.json").read_text())
SHARED_TYPES = {"vc2", "vhf", "vhp"}  # Vultr's pricing page: shared vCPUs; every other type dedicated


def gpu_from_id(plan_id: str) -> dict | None:
    """The GPU facts a plan id names: vcg-<gpu>-...-<N>vram (N = total GB) or ...-<count>-<gpu>-gpu."""
    per_gpu = {g["segment"]: g for g in GPU_FACTS["vram_per_gpu"]}
    parts = plan_id.split("-")
    if parts[0] == "vcg" and parts[-1].endswith("vram") and parts[1] in per_gpu:
        gpu, total = per_gpu[parts[1]], int(parts[-1].removesuffix("vram"))
        count = (Decimal(total) / gpu["vram_gb"]).quantize(Decimal("0.000001"))
        return {"gpu_brand": gpu["gpu_brand"], "gpu_type": gpu["gpu_type"], "gpu_count": count, "gpu_vram_gb": total}
    if parts[-1] == "gpu" and len(parts) >= 3 and parts[-2] in per_gpu and parts[-3].isdigit():
        gpu, count = per_gpu[parts[-2]], int(parts[-3])
        return {"gpu_brand": gpu["gpu_brand"], "gpu_type": gpu["gpu_type"], "gpu_count": Decimal(count),
                "gpu_vram_gb": count * gpu["vram_gb"]}
    return None


def expected_gpu(item: dict, plan_type: str) -> dict:
    """API fields first; else the packaged table (known plans); else the plan id; `none` = no GPU."""
    none = {"gpu_brand": None, "gpu_type": None, "gpu_count": None, "gpu_vram_gb": None, "gpu_source": None}
    brand = item.get("gpu_brand")
    if brand == "none":
        return {"has_gpu": False, **none}
    if {"gpu_type", "gpu_count", "gpu_vram_gb"} & item.keys():
        return {"has_gpu": True, "gpu_brand": brand, "gpu_type": item.get("gpu_type"),
                "gpu_count": gpu_count(item.get("gpu_count")), "gpu_vram_gb": item.get("gpu_vram_gb"),
                "gpu_source": "api"}
    table = {p["plan_id"]: p for p in GPU_FACTS["plans"]}.get(item["id"])
    if table:
        return {"has_gpu": True, **{k: table[k] for k in ("gpu_brand", "gpu_type", "gpu_vram_gb")},
                "gpu_count": Decimal(table["gpu_count"]), "gpu_source": "table"}
    derived = gpu_from_id(item["id"])
    if derived:
        return {"has_gpu": True, **derived, "gpu_source": "plan_id"}
    is_gpu = True if brand is not None or plan_type in ("vcg", "vdm") else None
    return {"has_gpu": is_gpu, **none, "gpu_brand": brand if is_gpu else None}


def expected_v2_plan(item: dict, metal: bool) -> dict:
    clusterable = {"yes": True, "no": False}.get(item.get("clusterable"))
    plan_type = "vbm" if metal else item["type"]
    monthly = money(item["monthly_cost"])
    link_speed = item.get("link_speed")
    return {
        "plan_id": item["id"], "plan_type": plan_type,
        # vCPUs are threads everywhere: bare metal's are cpu_threads (its cpu_count is cores)
        "vcpu_count": item.get("cpu_threads", item.get("cpu_count")) if metal else item.get("vcpu_count"),
        "ram_mb": item["ram"],
        "disk_gb": item["disk"], "disk_count": item.get("disk_count"), "bandwidth_gb": item["bandwidth"],
        "monthly_cost_usd": monthly, "hourly_cost_usd": money(item.get("hourly_cost")),
        "is_bare_metal": metal, "disk_type": item["type"] if metal else item.get("disk_type"),
        "cpu_vendor": item.get("cpu_vendor", item.get("cpu_manufacturer")), "cpu_model": item.get("cpu_model"),
        "cpu_thread_count": item.get("cpu_threads"), "plan_name": item.get("name"),
        "monthly_cost_preemptible_usd": money(item.get("monthly_cost_preemptible")),
        "hourly_cost_preemptible_usd": money(item.get("hourly_cost_preemptible")),
        "is_deployable_ondemand": item.get("deploy_ondemand"),
        "is_deployable_preemptible": item.get("deploy_preemptible"),
        "invoice_type": item.get("invoice_type"), "storage_type": item.get("storage_type"),
        "vcpu_type": item.get("vcpu_type"), "is_clusterable": clusterable, "cpu_mhz": item.get("cpu_mhz"),
        "cpu_core_count": item.get("cpu_cores", item.get("cpu_count") if metal else None),
        "physical_cpu_count": item.get("physical_cpus"), **expected_gpu(item, plan_type),
        "cpu_allocation": "shared" if plan_type in SHARED_TYPES else "dedicated",
        "link_speed_gbps": None if link_speed is None else Decimal(str(link_speed)),
        "link_type": item.get("link_type"), "is_ipv6_only": item["id"].endswith("-v6"),
        "is_for_sale": None if monthly is None else monthly > 0, "is_windows_capable": None,
    }


def rows(frame, key: str) -> dict:
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return {r[key]: r for r in records}


V2_PLAN_SETS = [
    ("v2/libcloud_v2_plans.json", None, "v2/libcloud_v2_plans_metal.json"),
    ("v2/vultrphp_v2_plans.json", None, "v2/vultrphp_v2_plans_metal.json"),
    ("v2/hostingbot_v2_plans_subset_2026.json", "plans", "v2/vultrphp_v2_plans_metal.json"),
]


@pytest.mark.parametrize("plans_file,wrap,metal_file", V2_PLAN_SETS)
def test_v2_plans_field_by_field(tmp_path, plans_file, wrap, metal_file):
    staged = stage(tmp_path, "v2", [("plans", "/plans", {}, body(plans_file, wrap)),
                                    ("plans_metal", "/plans-metal", {}, body(metal_file))])
    plans = json.loads(body(plans_file, wrap))["plans"]
    metal = json.loads(body(metal_file))["plans_metal"]
    got = rows(staged["stg_plans"], "plan_id")
    assert len(got) == len(plans) + len(metal)
    for item, is_metal in [(p, False) for p in plans] + [(m, True) for m in metal]:
        assert got[item["id"]] == expected_v2_plan(item, is_metal), item["id"]
    offered = {(r.plan_id, r.region_id) for r in staged["stg_plan_locations"].itertuples()}
    assert offered == {(p["id"], loc) for p in plans + metal for loc in p["locations"]}


@pytest.mark.parametrize("regions_file,wrap", [
    ("v2/libcloud_v2_regions.json", None), ("v2/vultrphp_v2_regions.json", None),
    ("v2/hostingbot_v2_regions_array_2026.json", "regions"),
])
def test_v2_regions_field_by_field(tmp_path, regions_file, wrap):
    staged = stage(tmp_path, "v2", [("regions", "/regions", {}, body(regions_file, wrap))])
    got = rows(staged["stg_regions"], "region_id")
    items = json.loads(body(regions_file, wrap))["regions"]
    assert len(got) == len(items)
    for item in items:
        row = got[item["id"]]
        assert (row["city"], row["country"], row["continent"]) == (item["city"], item["country"], item["continent"])
        assert list(row["options"]) == sorted(item["options"])
    if "vultrphp" in regions_file:
        assert got["sao"]["city"] == "São Paulo"
        assert list(got["mad"]["options"]) == []


@pytest.mark.parametrize("os_file", ["v2/libcloud_v2_os.json", "v2/vultrphp_v2_os.json"])
def test_v2_os_field_by_field(tmp_path, os_file):
    staged = stage(tmp_path, "v2", [("os", "/os", {}, body(os_file))])
    got = rows(staged["stg_operating_systems"], "os_id")
    items = json.loads(body(os_file))["os"]
    assert len(got) == len(items)
    for item in items:
        assert got[item["id"]] == {"os_id": item["id"], "name": item["name"], "arch": item["arch"],
                                   "family": item["family"], "is_windows": item["family"] == "windows"}


def test_v2_os_pages_equal_the_whole_list(tmp_path):
    pages = [("os", "/os", {"cursor": str(n)}, body(f"v2/libcloud_v2_os_page{n}.json")) for n in (1, 2, 3)]
    paged = stage(tmp_path / "paged", "v2", pages)["stg_operating_systems"]
    whole = stage(tmp_path / "whole", "v2", [("os", "/os", {}, body("v2/libcloud_v2_os.json"))])["stg_operating_systems"]
    assert sorted(paged["os_id"]) == sorted(whole["os_id"])


def test_v2_availability_sample(tmp_path):
    staged = stage(tmp_path, "v2", [("availability", "/regions/ewr/availability", {},
                                     body("v2/libcloud_v2_region_availability.json"))])
    expected = json.loads(body("v2/libcloud_v2_region_availability.json"))["available_plans"]
    got = staged["stg_availability"]
    assert set(got["region_id"]) == {"ewr"}
    assert sorted(got["plan_id"]) == sorted(expected)


def v1_calls() -> list[tuple[str, str, dict, bytes]]:
    return [("regions", "/regions/list", {}, body("v1/libcloud_v1_regions_list.json")),
            ("plans", "/plans/list", {"type": "all"}, body("v1/libcloud_v1_plans_list.json")),
            ("os", "/os/list", {}, body("v1/libcloud_v1_os_list.json")),
            ("availability", "/regions/availability", {"DCID": "9"}, b"[201, 400]"),
            ("availability", "/regions/availability", {"DCID": "34"}, b"[]")]


def test_v1_plans_field_by_field(tmp_path):
    staged = stage(tmp_path, "v1", v1_calls())
    got = rows(staged["stg_plans"], "plan_id")
    items = json.loads(body("v1/libcloud_v1_plans_list.json"))
    assert len(got) == len(items) == 19
    for key, item in items.items():
        row = got[key]
        assert row["plan_id"] == item["VPSPLANID"] == key
        assert row["plan_type"] == V1_TYPES[item["plan_type"]]
        assert (row["vcpu_count"], row["ram_mb"], row["disk_gb"], row["bandwidth_gb"]) == (
            int(item["vcpu_count"]), int(item["ram"]), int(item["disk"]), int(item["bandwidth_gb"]))
        assert row["monthly_cost_usd"] == Decimal(item["price_per_month"])
        assert row["hourly_cost_usd"] is None and row["disk_count"] is None
        assert row["is_bare_metal"] is False and row["plan_name"] == item["name"]
        assert row["is_windows_capable"] is item["windows"]


def test_v1_regions_locations_and_availability(tmp_path):
    staged = stage(tmp_path, "v1", v1_calls())
    regions = json.loads(body("v1/libcloud_v1_regions_list.json"))
    got = rows(staged["stg_regions"], "region_id")
    dcid_to_region = {k: v["regioncode"].lower() for k, v in regions.items()}
    assert set(got) == set(dcid_to_region.values())
    for dcid, item in regions.items():
        row = got[dcid_to_region[dcid]]
        assert (row["city"], row["country"], row["dcid"]) == (item["name"], item["country"], dcid)
        assert row["state"] == (item["state"] or None)  # "" outside the US becomes NULL
        expected = sorted(o for o in ("ddos_protection", "block_storage") if item[o])
        assert list(row["options"]) == expected
    plans = json.loads(body("v1/libcloud_v1_plans_list.json"))
    offered = {(r.plan_id, r.region_id) for r in staged["stg_plan_locations"].itertuples()}
    assert offered == {(k, dcid_to_region[str(d)]) for k, p in plans.items() for d in p["available_locations"]}
    stock = {(r.region_id, r.plan_id) for r in staged["stg_availability"].itertuples()}
    assert stock == {("fra", "201"), ("fra", "400")}


def test_v1_os_field_by_field(tmp_path):
    staged = stage(tmp_path, "v1", v1_calls())
    got = rows(staged["stg_operating_systems"], "os_id")
    items = json.loads(body("v1/libcloud_v1_os_list.json"))
    assert len(got) == len(items)
    for item in items.values():
        assert got[item["OSID"]] == {"os_id": item["OSID"], "name": item["name"], "arch": item["arch"],
                                     "family": item["family"], "is_windows": item["windows"]}


def test_empty_strings_null_and_unknown_fields_ignored(tmp_path):
    plan = {"id": "vc2-x", "vcpu_count": "1", "ram": 1024, "disk": 25, "disk_count": "", "bandwidth": 1024,
            "monthly_cost": "5.00", "hourly_cost": "", "type": "vc2", "locations": [], "brand_new_field": {"nested": True}}
    staged = stage(tmp_path, "v2", [("plans", "/plans", {}, json.dumps({"plans": [plan], "meta": {}}).encode())])
    row = rows(staged["stg_plans"], "plan_id")["vc2-x"]
    assert row["vcpu_count"] == 1 and row["disk_count"] is None and row["hourly_cost_usd"] is None
    assert row["monthly_cost_usd"] == Decimal("5.00")


def test_v1_empty_list_as_array(tmp_path):
    staged = stage(tmp_path, "v1", [("regions", "/regions/list", {}, b"[]"), ("plans", "/plans/list", {}, b"[]"),
                                    ("os", "/os/list", {}, b"{}")])
    assert all(len(frame) == 0 for frame in staged.values())


# -- the 2026 shape (the emulator's default catalog: recorded items reshaped, synthetic families) ---------
def emulator_body(path: str) -> bytes:
    from pipeline.fakeapi import FakeVultr

    status, _, content = FakeVultr(rate_limit=False).handle("GET", path + "?per_page=500", {})
    assert status == 200
    return content


def test_2026_plans_field_by_field(tmp_path):
    plans_body, metal_body = emulator_body("/v2/plans"), emulator_body("/v2/plans-metal")
    staged = stage(tmp_path, "v2", [("plans", "/plans", {}, plans_body), ("plans_metal", "/plans-metal", {}, metal_body)])
    plans, metal = json.loads(plans_body)["plans"], json.loads(metal_body)["plans_metal"]
    got = rows(staged["stg_plans"], "plan_id")
    assert len(got) == len(plans) + len(metal)
    for item, is_metal in [(p, False) for p in plans] + [(m, True) for m in metal]:
        assert got[item["id"]] == expected_v2_plan(item, is_metal), item["id"]
    prices = {(r.plan_id, r.region_id): r for r in staged["stg_plan_prices"].itertuples()}
    expected = {(p["id"], rid): cost for p in plans + metal for rid, cost in (p.get("location_cost") or {}).items()}
    assert prices.keys() == expected.keys() and ("vc2-1c-1gb", "sao") in prices
    for key, cost in expected.items():
        row = prices[key]
        assert (row.monthly_cost_usd, row.hourly_cost_usd, row.monthly_cost_preemptible_usd,
                row.hourly_cost_preemptible_usd) == tuple(money(cost[k]) for k in (
                    "monthly_cost", "hourly_cost", "monthly_cost_preemptible", "hourly_cost_preemptible")), key
    assert (got["vc2-1c-1gb"]["monthly_cost_usd"], prices[("vc2-1c-1gb", "sao")].monthly_cost_usd) == (
        Decimal("5"), Decimal("7.5"))


@pytest.mark.parametrize("count,expected", [("1/8", "0.125"), ("1/4", "0.25"), ("1/2", "0.5"), (1, "1"), (8, "8"),
                                            ("1/3", "0.333333")])
def test_gpu_counts_fractions_and_whole(tmp_path, count, expected):
    plan = {"id": "vcg-x", "vcpu_count": 2, "ram": 16384, "disk": 80, "bandwidth": 2048, "monthly_cost": 86,
            "hourly_cost": 0.118, "type": "vcg", "locations": ["ewr"], "gpu_brand": "NVIDIA", "gpu_vram_gb": 4,
            "gpu_type": "NVIDIA_A16", "gpu_count": count}
    none = {**plan, "id": "vc2-x", "type": "vc2", "gpu_brand": "none", "gpu_type": "NVIDIA_A16"}
    body = json.dumps({"plans": [plan, none], "meta": {}}).encode()
    got = rows(stage(tmp_path, "v2", [("plans", "/plans", {}, body)])["stg_plans"], "plan_id")
    assert got["vcg-x"]["gpu_count"] == Decimal(expected)
    assert (got["vcg-x"]["has_gpu"], got["vcg-x"]["gpu_type"], got["vcg-x"]["gpu_vram_gb"]) == (True, "NVIDIA_A16", 4)
    # gpu_brand "none" means no GPU: every GPU column is NULL, whatever else the object says
    assert [got["vc2-x"][c] for c in ("has_gpu", "gpu_brand", "gpu_type", "gpu_count", "gpu_vram_gb")] == [
        False, None, None, None, None]
