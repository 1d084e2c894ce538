"""The emulator's account side over real loopback HTTP: v1 server/*, v2 instances and bare metal,
driven by Apache libcloud's own Vultr drivers (a client nobody here wrote) and by plain requests."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from libcloud.common.types import LibcloudError
from libcloud.common.vultr import VultrException
from libcloud.compute.drivers.vultr import VultrNodeDriverV1, VultrNodeDriverV2
from libcloud.compute.providers import get_driver
from libcloud.compute.types import Provider

from pipeline.fakeapi import FakeVultr
from pipeline.fakeapi.v1_servers import NOT_AVAILABLE
from tests.conftest import ROOT, free_port, wait_for

KEY = "EMULATORKEY0123456789"
V1_FIELDS = {
    "SUBID", "os", "ram", "disk", "main_ip", "vcpu_count", "location", "DCID", "default_password",
    "date_created", "pending_charges", "status", "cost_per_month", "current_bandwidth_gb",
    "allowed_bandwidth_gb", "netmask_v4", "gateway_v4", "power_status", "server_state", "VPSPLANID",
    "v6_main_ip", "v6_network", "v6_network_size", "v6_networks", "label", "internal_ip", "kvm_url",
    "auto_backups", "tag", "OSID", "APPID", "FIREWALLGROUPID",
}


@pytest.fixture
def api() -> Iterator[FakeVultr]:
    # rate limit off: libcloud's v1 driver answers a 503 by sleeping 0.5 s and retrying once
    with FakeVultr(rate_limit=False, api_key=KEY).start() as emulator:
        yield emulator


def driver(api: FakeVultr, version: str, key: str = KEY):
    return get_driver(Provider.VULTR)(key, api_version=version, host="127.0.0.1", port=api.port,
                                      secure=False)


def pick(items, **wanted):
    return next(i for i in items if all(str(getattr(i, k)) == str(v) for k, v in wanted.items()))


def sold_out_v1(api: FakeVultr, dcid: str = "1") -> str:
    plans = requests.get(api.base_url + "/v1/plans/list", timeout=5).json()
    stock = requests.get(api.base_url + f"/v1/regions/availability?DCID={dcid}", timeout=5).json()
    return next(k for k, p in plans.items() if int(dcid) in p["available_locations"] and int(k) not in stock)


def sold_out_v2(api: FakeVultr, region: str = "ewr") -> str:
    plans = requests.get(api.base_url + "/v2/plans?per_page=500", timeout=5).json()["plans"]
    stock = requests.get(api.base_url + f"/v2/regions/{region}/availability", timeout=5).json()
    return next(p["id"] for p in plans if region in p["locations"] and p["id"] not in stock["available_plans"])


# -- libcloud ------------------------------------------------------------------------------
def test_libcloud_v1_creates_lists_and_destroys(api: FakeVultr) -> None:
    lc = driver(api, "1")
    assert isinstance(lc, VultrNodeDriverV1)
    location, size = pick(lc.list_locations(), id="1"), pick(lc.list_sizes(), id="201")
    image = pick(lc.list_images(), id="362")
    assert lc.list_nodes() == []
    node = lc.create_node("web-1", size, image, location)
    assert node.name == "web-1" and node.state == "running" and node.size.id == "201"
    assert node.extra["cost_per_month"] == "5.00" and node.public_ips == [node.public_ips[0]]
    assert [n.id for n in lc.list_nodes()] == [node.id]
    assert lc.destroy_node(node) is True
    assert lc.list_nodes() == []
    assert {r.headers.get("API-Key") for r in api.requests if "/server/" in r.path} == {KEY}


def test_libcloud_v1_sees_the_412_for_a_sold_out_plan(api: FakeVultr) -> None:
    lc = driver(api, "1")
    size = pick(lc.list_sizes(), id=sold_out_v1(api))
    with pytest.raises(LibcloudError, match="not available in the selected datacenter"):
        lc.create_node("x", size, pick(lc.list_images(), id="362"), pick(lc.list_locations(), id="1"))
    assert lc.list_nodes() == []


def test_libcloud_v2_creates_lists_and_destroys(api: FakeVultr) -> None:
    lc = driver(api, "2")
    assert isinstance(lc, VultrNodeDriverV2)
    location, size = pick(lc.list_locations(), id="ewr"), pick(lc.list_sizes(), id="vc2-1c-2gb")
    image = next(i for i in lc.list_images() if i.extra["family"] == "ubuntu")
    node = lc.create_node("web-1", size, location, image)
    assert (node.name, node.size, node.extra["location"], node.state) == ("web-1", "vc2-1c-2gb", "ewr", "pending")
    assert node.public_ips == ["0.0.0.0"] and node.extra["vcpu_count"] == 1 and node.extra["ram"] == 2048
    running = wait_for(lambda: (n := lc.ex_get_node(node.id)).state == "running" and n, 30, "the node to run")
    assert running.name == "web-1" and running.public_ips[0].startswith("203.0.113.")
    assert [n.id for n in lc.list_nodes()] == [node.id]  # instances and (empty) bare metal
    assert lc.destroy_node(node) is True
    assert lc.list_nodes() == []


def test_libcloud_v2_is_refused_a_plan_not_in_stock_and_a_wrong_key(api: FakeVultr) -> None:
    lc = driver(api, "2")
    location = pick(lc.list_locations(), id="ewr")
    image = next(i for i in lc.list_images() if i.extra["family"] == "ubuntu")
    with pytest.raises(VultrException, match="not available in region ewr"):
        lc.create_node("x", pick(lc.list_sizes(), id=sold_out_v2(api)), location, image)
    with pytest.raises(VultrException, match="Invalid API token"):
        driver(api, "2", key="WRONG").list_nodes()


def test_libcloud_v2_lists_a_seeded_bare_metal_node() -> None:
    with FakeVultr(rate_limit=False, seed_fleet=True).start() as api:
        nodes = driver(api, "2", key="any").list_nodes()
    metal = [n for n in nodes if n.extra["is_bare_metal"]]
    assert len(metal) == 1 and metal[0].size.startswith("vbm-") and metal[0].extra["cpu_count"] > 0
    assert {n.name for n in nodes} >= {"web-1", "db-1", "legacy-1", "metal-1"}


# -- v1 by hand ------------------------------------------------------------------------------
def create_v1(api: FakeVultr, **form: str) -> requests.Response:
    data = {"DCID": "1", "VPSPLANID": "201", "OSID": "362", **form}
    return requests.post(api.base_url + "/v1/server/create", data=data, headers={"API-Key": KEY}, timeout=5)


def test_v1_list_has_every_field_of_the_brief_and_takes_the_key_as_query_param(api: FakeVultr) -> None:
    subid = create_v1(api, label="my new server").json()["SUBID"]
    listing = requests.get(api.base_url + f"/v1/server/list?api_key={KEY}", timeout=5)
    assert listing.status_code == 200
    server = listing.json()[subid]
    assert set(server) == V1_FIELDS
    assert (server["SUBID"], server["ram"], server["disk"], server["vcpu_count"]) == (subid, "1024 MB", "Virtual 25 GB", "1")
    assert (server["DCID"], server["VPSPLANID"], server["OSID"], server["label"]) == ("1", "201", "362", "my new server")
    assert server["location"] == "New Jersey" and server["cost_per_month"] == "5.00"
    assert server["v6_networks"][0]["v6_main_ip"] == server["v6_main_ip"]
    assert len(server["default_password"]) >= 12 and server["kvm_url"].startswith("https://")
    one = requests.get(api.base_url + f"/v1/server/list?api_key={KEY}&SUBID={subid}", timeout=5).json()
    assert one == server


@pytest.mark.parametrize("headers,query", [({}, ""), ({"API-Key": "WRONG"}, ""), ({}, "?api_key=WRONG")])
def test_v1_missing_or_bad_key_is_403(api: FakeVultr, headers: dict, query: str) -> None:
    r = requests.get(api.base_url + "/v1/server/list" + query, headers=headers, timeout=5)
    assert r.status_code == 403 and "API key" in r.text and r.headers["Content-Type"].startswith("text/plain")


def test_v1_wrong_method_is_405(api: FakeVultr) -> None:
    auth = {"API-Key": KEY}
    assert requests.get(api.base_url + "/v1/server/create", headers=auth, timeout=5).status_code == 405
    assert requests.post(api.base_url + "/v1/server/list", headers=auth, timeout=5).status_code == 405
    assert requests.get(api.base_url + "/v1/server/destroy", headers=auth, timeout=5).status_code == 405


@pytest.mark.parametrize("form,reason", [
    ({"DCID": "999"}, "Invalid DCID"), ({"VPSPLANID": "999"}, "Invalid plan ID"),
    ({"OSID": "999"}, "Invalid operating system ID"), ({"VPSPLANID": "208"}, NOT_AVAILABLE),
])
def test_v1_create_refuses_with_412_and_a_plain_text_reason(api: FakeVultr, form: dict, reason: str) -> None:
    r = create_v1(api, **form)  # plan 208 is offered only in DCID 12
    assert (r.status_code, r.text) == (412, reason)
    assert requests.get(api.base_url + "/v1/server/list", headers={"API-Key": KEY}, timeout=5).text == "[]"


def test_v1_create_refuses_a_plan_sold_out_in_that_datacenter(api: FakeVultr) -> None:
    r = create_v1(api, VPSPLANID=sold_out_v1(api))
    assert (r.status_code, r.text) == (412, NOT_AVAILABLE)


def test_v1_destroy_removes_and_an_unknown_subid_is_412(api: FakeVultr) -> None:
    subid = create_v1(api).json()["SUBID"]
    destroy = api.base_url + "/v1/server/destroy"
    assert requests.post(destroy, data={"SUBID": subid}, headers={"API-Key": KEY}, timeout=5).status_code == 200
    again = requests.post(destroy, data={"SUBID": subid}, headers={"API-Key": KEY}, timeout=5)
    assert again.status_code == 412 and "Invalid server" in again.text


@pytest.mark.parametrize("path,plan_type", [
    ("/v1/plans/list_vc2", "SSD"), ("/v1/plans/list_vc2z", "HIGHFREQUENCY"), ("/v1/plans/list_vdc2", "DEDICATED"),
    ("/v1/plans/list?type=vc2z", "HIGHFREQUENCY"),
])
def test_v1_typed_plan_lists(api: FakeVultr, path: str, plan_type: str) -> None:
    r = requests.get(api.base_url + path, timeout=5)
    plans = r.json()
    assert r.status_code == 200 and plans and {p["plan_type"] for p in plans.values()} == {plan_type}
    assert all(k == p["VPSPLANID"] for k, p in plans.items())
    if "list_" in path:  # the brief's per-type lists carry no locations
        assert not any("available_locations" in p for p in plans.values())


# -- v2 by hand ------------------------------------------------------------------------------
BEARER = {"Authorization": f"Bearer {KEY}"}


def create_v2(api: FakeVultr, **body) -> requests.Response:
    data = {"region": "ewr", "plan": "vc2-1c-2gb", "os_id": 387, "label": "x", **body}
    return requests.post(api.base_url + "/v2/instances", json=data, headers=BEARER, timeout=5)


@pytest.mark.parametrize("method,path", [("GET", "/v2/instances"), ("POST", "/v2/instances"),
                                         ("GET", "/v2/instances/abc"), ("DELETE", "/v2/instances/abc"),
                                         ("GET", "/v2/bare-metals")])
def test_v2_account_paths_need_a_bearer_token(api: FakeVultr, method: str, path: str) -> None:
    r = requests.request(method, api.base_url + path, timeout=5)
    assert r.status_code == 401 and r.json() == {"error": "Invalid API token.", "status": 401}


def get_v2(api: FakeVultr, path: str, **params) -> dict:
    return requests.get(api.base_url + path, params=params, headers=BEARER, timeout=5).json()


def test_v2_create_answers_202_pending_then_active_get_delete_and_404(api: FakeVultr) -> None:
    created = create_v2(api, label="web-1", tags=["web", "prod"])
    assert created.status_code == 202
    instance = created.json()["instance"]
    assert (instance["plan"], instance["region"], instance["ram"], instance["disk"]) == ("vc2-1c-2gb", "ewr", 2048, 55)
    assert (instance["status"], instance["main_ip"], instance["v6_networks"]) == ("pending", "0.0.0.0", [])
    assert instance["tags"] == ["web", "prod"] and "default_password" in instance  # only in this answer
    path = f"/v2/instances/{instance['id']}"
    assert get_v2(api, path)["instance"]["status"] == "pending"  # one read later it is still being built
    fetched = wait_for(lambda: (i := get_v2(api, path)["instance"])["status"] == "active" and i, 10, "active")
    assert "default_password" not in fetched and fetched["label"] == "web-1" and fetched["tags"] == ["web", "prod"]
    assert fetched["main_ip"].startswith("203.0.113.")
    assert fetched["v6_networks"] == [{"network": fetched["v6_network"], "main_ip": fetched["v6_main_ip"],
                                       "network_size": 64}]
    deleted = requests.delete(api.base_url + path, headers=BEARER, timeout=5)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert requests.get(api.base_url + path, headers=BEARER, timeout=5).status_code == 404


def test_v2_tags_are_stored_and_filter_the_list(api: FakeVultr) -> None:
    first = create_v2(api, label="a", tags=["web", "prod"]).json()["instance"]["id"]
    create_v2(api, label="b", tags=["db"])
    legacy = create_v2(api, label="c", tag="web").json()["instance"]  # the deprecated single tag
    assert (legacy["tags"], legacy["tag"]) == (["web"], "web")
    assert [i["label"] for i in get_v2(api, "/v2/instances", tag="web")["instances"]] == ["a", "c"]
    assert [i["id"] for i in get_v2(api, "/v2/instances", tag="prod")["instances"]] == [first]
    assert create_v2(api, tags="web").status_code == 400  # an array of strings, not a string


def test_v2_bare_metal_create_is_pending_too(api: FakeVultr) -> None:
    plans = requests.get(api.base_url + "/v2/plans-metal", timeout=5).json()["plans_metal"]
    region, plan = next((r, p["id"]) for p in plans for r in p["locations"]
                        if p["id"] in get_v2(api, f"/v2/regions/{r}/availability")["available_plans"])
    r = requests.post(api.base_url + "/v2/bare-metals", headers=BEARER, timeout=5,
                      json={"region": region, "plan": plan, "os_id": 387, "tags": ["gpu"]})
    metal = r.json()["bare_metal"]
    assert (r.status_code, metal["status"], metal["main_ip"], metal["tags"]) == (202, "pending", "0.0.0.0", ["gpu"])
    wait_for(lambda: get_v2(api, f"/v2/bare-metals/{metal['id']}")["bare_metal"]["status"] == "active", 10, "active")


@pytest.mark.parametrize("body,message", [
    ({"region": "nowhere"}, "Invalid region."), ({"plan": "vc2-99c"}, "Invalid plan."),
    ({"os_id": 1}, "Invalid os_id."), ({"os_id": None}, "Missing os_id"),
    ({"plan": "NOT-OFFERED"}, "not available in region ewr"),
])
def test_v2_create_refusals_are_400_json(api: FakeVultr, body: dict, message: str) -> None:
    if body.get("plan") == "NOT-OFFERED":  # a plan that exists but is not offered in ewr at all
        plans = requests.get(api.base_url + "/v2/plans?per_page=500", timeout=5).json()["plans"]
        body = {"plan": next(p["id"] for p in plans if "ewr" not in p["locations"])}
    r = create_v2(api, **body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_v2_create_refuses_a_plan_sold_out_in_that_region(api: FakeVultr) -> None:
    r = create_v2(api, plan=sold_out_v2(api))
    assert r.status_code == 400 and "not available in region ewr" in r.json()["error"]
    assert requests.get(api.base_url + "/v2/instances", headers=BEARER, timeout=5).json()["instances"] == []


def test_v2_instances_paginate_with_cursors_like_the_catalog(api: FakeVultr) -> None:
    ids = [create_v2(api, label=f"n{i}").json()["instance"]["id"] for i in range(5)]  # listed while pending
    seen, params = [], {"per_page": 2}
    for _ in range(10):
        page = requests.get(api.base_url + "/v2/instances", params=params, headers=BEARER, timeout=5).json()
        assert page["meta"]["total"] == 5 and len(page["instances"]) <= 2
        seen += [i["id"] for i in page["instances"]]
        if not page["meta"]["links"]["next"]:
            break
        params = {"per_page": 2, "cursor": page["meta"]["links"]["next"]}
    assert seen == ids


def test_each_emulator_starts_with_no_servers_unless_seeded(api: FakeVultr) -> None:
    create_v2(api)
    with FakeVultr(rate_limit=False).start() as fresh:
        assert requests.get(fresh.base_url + "/v2/instances", headers=BEARER, timeout=5).json()["instances"] == []
        assert requests.get(fresh.base_url + "/v1/server/list", headers={"API-Key": "k"}, timeout=5).text == "[]"
    with FakeVultr(rate_limit=False, seed_fleet=True).start() as seeded:
        v2 = requests.get(seeded.base_url + "/v2/instances", headers=BEARER, timeout=5).json()["instances"]
        v1 = requests.get(seeded.base_url + "/v1/server/list", headers={"API-Key": "k"}, timeout=5).json()
    assert {"web-1", "db-1", "legacy-1"} <= {i["label"] for i in v2}
    assert {"web-1", "db-1", "legacy-1"} <= {s["label"] for s in v1.values()}


# -- /v2/plans filters -------------------------------------------------------------------------
def test_v2_plans_unknown_type_is_400_and_os_windows_filters(api: FakeVultr) -> None:
    bad = requests.get(api.base_url + "/v2/plans?type=bogus", timeout=5)
    assert bad.status_code == 400 and bad.json()["status"] == 400
    every = requests.get(api.base_url + "/v2/plans?per_page=500", timeout=5).json()["plans"]
    windows = requests.get(api.base_url + "/v2/plans?per_page=500&os=windows", timeout=5).json()
    assert 0 < len(windows["plans"]) < len(every) and windows["meta"]["total"] == len(windows["plans"])
    assert all(p["ram"] >= 2048 for p in windows["plans"])
    both = requests.get(api.base_url + "/v2/plans?per_page=500&os=windows&type=vhf", timeout=5).json()["plans"]
    assert both and {p["type"] for p in both} == {"vhf"}


# -- Vultr's own OpenAPI client (vultr-python-client 1.0.2: create answers 202) -------------------
def openapi(api: FakeVultr, key: str = KEY):
    import vultr_python_client

    conf = vultr_python_client.Configuration(host=api.base_url + "/v2")
    conf.access_token = key
    return vultr_python_client.ApiClient(conf)


def test_openapi_client_creates_a_pending_instance_that_becomes_active(api: FakeVultr) -> None:
    from vultr_python_client.apis.tags.instances_api import InstancesApi

    with openapi(api) as client:
        instances = InstancesApi(client)
        created = instances.create_instance(body={"region": "ewr", "plan": "vc2-1c-2gb", "os_id": 387,
                                                  "label": "oc-1", "tags": ["openapi"]})
        assert created.response.status == 202  # the spec's only success answer for create-instance
        instance = created.body["instance"]
        assert (instance["status"], instance["main_ip"], list(instance["tags"])) == ("pending", "0.0.0.0", ["openapi"])
        path = {"instance-id": instance["id"]}
        active = wait_for(lambda: (i := instances.get_instance(path_params=path).body["instance"])["status"]
                          == "active" and i, 10, "the instance to become active")
        assert active["main_ip"].startswith("203.0.113.") and active["label"] == "oc-1"
        listed = instances.list_instances(query_params={"tag": "openapi"}).body["instances"]
        assert [i["id"] for i in listed] == [instance["id"]]


def test_openapi_client_lists_voc_plans_and_gets_401_for_another_key(api: FakeVultr) -> None:
    import vultr_python_client
    from vultr_python_client.apis.tags.instances_api import InstancesApi
    from vultr_python_client.apis.tags.plans_api import PlansApi

    with openapi(api) as client:
        plans = PlansApi(client).list_plans(query_params={"type": "voc", "per_page": 500}).body["plans"]
    assert plans and {p["type"][:4] for p in plans} == {"voc-"}
    with openapi(api, key="SOMEONE-ELSES") as client, pytest.raises(vultr_python_client.ApiException) as refused:
        InstancesApi(client).list_instances()
    assert refused.value.status == 401 and json.loads(refused.value.body)["status"] == 401


def test_fake_api_cli_takes_catalog_and_api_key(tmp_path) -> None:
    """`vultr-catalog fake-api --catalog 2026-01 --api-key KEY` as a user runs it."""
    port = free_port()
    command = [sys.executable, "-m", "pipeline", "fake-api", "--port", str(port), "--catalog", "2026-01",
               "--api-key", KEY]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        try:
            assert f"127.0.0.1:{port}" in proc.stdout.readline()
            base = f"http://127.0.0.1:{port}/v2"
            ids = {p["id"] for p in requests.get(base + "/plans?type=vc2", timeout=5).json()["plans"]}
            assert "vc2-1c-1gb-sc1" in ids  # the January shape
            headers = {"Authorization": "Bearer OTHER"}
            assert requests.get(base + "/instances", headers=headers, timeout=5).status_code == 401
            assert requests.get(base + "/instances", headers=BEARER, timeout=5).status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
