"""The Vultr emulator over real loopback HTTP: pagination, limits, faults, stock, timeline."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pipeline.fakeapi import FakeVultr, Fault, Timeline
from pipeline.fakeapi.timeline import DRIFT_FIELD
from tests.conftest import wait_for

SAMPLE = Path(__file__).resolve().parents[1] / "pipeline" / "fakeapi" / "recordings"
UTC = UTC


@pytest.fixture
def api() -> Iterator[FakeVultr]:
    with FakeVultr(rate_limit=False, synthetic_plans=300).start() as emulator:
        yield emulator


@pytest.fixture
def limited() -> Iterator[FakeVultr]:
    with FakeVultr(rate_limit=True).start() as emulator:
        yield emulator


def fetch_all(session: requests.Session, url: str, key: str, per_page: int) -> list[dict]:
    items: list[dict] = []
    params: dict = {"per_page": per_page}
    for _ in range(1000):
        body = session.get(url, params=params, timeout=5).json()
        items += body[key]
        cursor = body["meta"]["links"]["next"]
        if cursor == "":
            return items
        params = {"per_page": per_page, "cursor": cursor}
    raise AssertionError("cursors never terminated")


# -- v2 pagination ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path,key,per_page",
    [("/v2/plans", "plans", 7), ("/v2/os", "os", 5), ("/v2/regions", "regions", 10),
     ("/v2/plans-metal", "plans_metal", 3)],
)
def test_pagination_reassembles_every_item(
    api: FakeVultr, path: str, key: str, per_page: int
) -> None:
    with requests.Session() as s:
        whole = s.get(api.base_url + path, params={"per_page": 500}, timeout=5).json()
        paged = fetch_all(s, api.base_url + path, key, per_page)
    assert whole["meta"]["links"] == {"next": "", "prev": ""}
    assert paged == whole[key]
    assert len(paged) == whole["meta"]["total"] > per_page
    assert len({str(i["id"]) for i in paged}) == len(paged)


def test_default_page_is_100_and_per_page_clamps_at_500() -> None:
    with FakeVultr(rate_limit=False, synthetic_plans=600).start() as api:
        first = requests.get(api.base_url + "/v2/plans", timeout=5).json()
        big = requests.get(api.base_url + "/v2/plans?per_page=100000", timeout=5).json()
    assert len(first["plans"]) == 100 and first["meta"]["total"] == 663
    assert len(big["plans"]) == 500 and big["meta"]["links"]["next"] != ""


def test_cursor_looks_like_the_recording_and_prev_links_back(api: FakeVultr) -> None:
    recorded = json.loads((SAMPLE / "v2" / "libcloud_v2_os_page1.json").read_text())
    page1 = requests.get(api.base_url + "/v2/os?per_page=10", timeout=5).json()
    assert page1["meta"]["links"]["prev"] == ""
    # same encoding as the real API: base64("next__<last id>")
    assert recorded["meta"]["links"]["next"] == "bmV4dF9fMjMw"
    page2 = requests.get(api.base_url + "/v2/os", timeout=5,
                         params={"per_page": 10, "cursor": page1["meta"]["links"]["next"]}).json()
    back = requests.get(api.base_url + "/v2/os", timeout=5,
                        params={"per_page": 10, "cursor": page2["meta"]["links"]["prev"]}).json()
    assert back["os"] == page1["os"]


@pytest.mark.parametrize("query", ["cursor=!!notbase64", "cursor=bmV4dF9fbm9wZQ==", "per_page=abc"])
def test_bad_query_is_a_400_json_error(api: FakeVultr, query: str) -> None:
    r = requests.get(f"{api.base_url}/v2/plans?{query}", timeout=5)
    assert r.status_code == 400
    assert r.json()["status"] == 400 and r.json()["error"]


def test_plan_type_filter(api: FakeVultr) -> None:
    r = requests.get(api.base_url + "/v2/plans?type=vhf&per_page=500", timeout=5).json()
    assert r["plans"] and {p["type"] for p in r["plans"]} == {"vhf"}
    assert r["meta"]["total"] == len(r["plans"])


def test_numbers_keep_their_recorded_text(api: FakeVultr) -> None:
    body = requests.get(api.base_url + "/v2/plans?per_page=500", timeout=5).text
    assert '"monthly_cost":7.5,' in body and '"hourly_cost":0.003,' in body
    assert '"monthly_cost":5,' in body  # an int stays an int


def test_catalog_selection() -> None:
    sizes = {}
    for name in ("2026-07", "2026-01", "2022", "2021"):
        _status, _, body = FakeVultr(catalog=name, rate_limit=False).handle("GET", "/v2/plans", {})
        sizes[name] = json.loads(body)["meta"]["total"]
    assert sizes == {"2026-07": 63, "2026-01": 80, "2022": 38, "2021": 21}
    with pytest.raises(ValueError, match="unknown catalog '2026'"):
        FakeVultr(catalog="2026")


# -- v2 errors and auth ---------------------------------------------------------------------
def test_v2_errors(api: FakeVultr) -> None:
    base = api.base_url
    assert requests.get(base + "/v2/nope", timeout=5).status_code == 404
    assert requests.get(base + "/v2/regions/xxx/availability", timeout=5).json() == {
        "error": "Invalid region.", "status": 404}
    r = requests.post(base + "/v2/plans", json={}, timeout=5)
    assert r.status_code == 405 and r.headers["Content-Type"] == "application/json"
    assert requests.get(base + "/v2/account", timeout=5).status_code == 401
    ok = requests.get(base + "/v2/account", headers={"Authorization": "Bearer k"}, timeout=5)
    assert ok.status_code == 200 and "account" in ok.json()


def test_configured_api_key_is_the_only_one_accepted() -> None:
    api = FakeVultr(api_key="secret", rate_limit=False)
    assert api.handle("GET", "/v2/account", {"Authorization": "Bearer other"})[0] == 401
    assert api.handle("GET", "/v2/account", {"Authorization": "Bearer secret"})[0] == 200
    assert api.handle("GET", "/v1/account/info", {"API-Key": "other"})[0] == 403
    assert api.handle("GET", "/v1/account/info", {"API-Key": "secret"})[0] == 200


def test_v2_rate_limit_429_with_retry_after(limited: FakeVultr) -> None:
    with requests.Session() as s:
        statuses = [s.get(limited.base_url + "/v2/regions", timeout=5) for _ in range(45)]
        codes = [r.status_code for r in statuses]
        # the first 30 always fit in the window; 45 loopback calls take well under 1 s
        assert codes[:30] == [200] * 30 and 429 in codes
        rejected = statuses[codes.index(429)]
        assert rejected.headers["Retry-After"] == "1"
        assert rejected.json() == {"error": "Rate limit exceeded.", "status": 429}
        wait_for(lambda: s.get(limited.base_url + "/v2/regions", timeout=5).ok, 3.0, what="the rate limit window to pass")


# -- v1 -------------------------------------------------------------------------------------
def test_v1_lists_are_the_recorded_bytes(api: FakeVultr) -> None:
    for name, path in [("regions", "/v1/regions/list"), ("plans", "/v1/plans/list"),
                       ("os", "/v1/os/list")]:
        r = requests.get(api.base_url + path, timeout=5)
        assert r.content == (SAMPLE / "v1" / f"libcloud_v1_{name}_list.json").read_bytes()
        assert r.headers["Content-Type"] == "application/json"
    plans = requests.get(api.base_url + "/v1/plans/list", timeout=5).json()
    assert all(key == plan["VPSPLANID"] for key, plan in plans.items())


def test_v1_errors_are_plain_text(api: FakeVultr) -> None:
    r = requests.get(api.base_url + "/v1/nope/list", timeout=5)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")
    assert requests.get(api.base_url + "/v1/account/info", timeout=5).status_code == 403
    assert requests.post(api.base_url + "/v1/plans/list", timeout=5).status_code == 405
    bad_dcid = requests.get(api.base_url + "/v1/regions/availability?DCID=999", timeout=5)
    assert bad_dcid.status_code == 412 and bad_dcid.text == "Invalid DCID"


def test_v1_filtered_plans_stay_keyed(api: FakeVultr) -> None:
    body = requests.get(api.base_url + "/v1/plans/list?type=vdc2", timeout=5).json()
    assert set(body) == {"115", "116", "117", "118"}
    assert all(isinstance(p["price_per_month"], str) for p in body.values())
    assert requests.get(api.base_url + "/v1/plans/list?type=bogus", timeout=5).json().keys() == set(
        json.loads((SAMPLE / "v1" / "libcloud_v1_plans_list.json").read_text()))


def test_v1_rate_limit_is_503_with_the_recorded_body(limited: FakeVultr) -> None:
    expected = (SAMPLE / "v1" / "libcloud_v1_error_rate_limit.txt").read_bytes()
    with requests.Session() as s:
        replies = [s.get(limited.base_url + "/v1/regions/list", timeout=5) for _ in range(5)]
    throttled = [r for r in replies if r.status_code == 503]
    assert replies[0].status_code == 200 and throttled
    assert throttled[0].content == expected


# -- stock ----------------------------------------------------------------------------------
def test_v2_availability_is_a_strict_subset_of_offered(api: FakeVultr) -> None:
    with requests.Session() as s:
        plans = s.get(api.base_url + "/v2/plans?per_page=500", timeout=5).json()["plans"]
        metal = s.get(api.base_url + "/v2/plans-metal", timeout=5).json()["plans_metal"]
        regions = s.get(api.base_url + "/v2/regions", timeout=5).json()["regions"]
        sold_out = 0
        for region in regions:
            url = f"{api.base_url}/v2/regions/{region['id']}/availability"
            body = s.get(url, timeout=5).json()
            assert set(body) == {"available_plans"}
            offered = {p["id"] for p in plans + metal if region["id"] in p["locations"]}
            assert set(body["available_plans"]) <= offered
            sold_out += len(offered - set(body["available_plans"]))
    assert sold_out > 0


def test_v1_availability_is_a_strict_subset_of_offered(api: FakeVultr) -> None:
    plans = json.loads((SAMPLE / "v1" / "libcloud_v1_plans_list.json").read_text())
    regions = json.loads((SAMPLE / "v1" / "libcloud_v1_regions_list.json").read_text())
    sold_out = 0
    for dcid in regions:
        url = f"{api.base_url}/v1/regions/availability?DCID={dcid}"
        stock = requests.get(url, timeout=5).json()
        offered = {int(k) for k, p in plans.items() if int(dcid) in p["available_locations"]}
        assert all(isinstance(i, int) for i in stock) and set(stock) <= offered
        sold_out += len(offered - set(stock))
    assert sold_out > 0


# -- faults ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["500", "502", "503", "504", "429"])
def test_status_faults_then_recovery(api: FakeVultr, kind: str) -> None:
    api.set_fault("/v2/plans", Fault(kind, times=2))
    replies = [requests.get(api.base_url + "/v2/plans", timeout=5) for _ in range(3)]
    assert [r.status_code for r in replies] == [int(kind), int(kind), 200]
    assert (replies[0].headers.get("Retry-After") == "1") == (kind == "429")
    assert requests.get(api.base_url + "/v2/os", timeout=5).status_code == 200


def test_truncated_fault(api: FakeVultr) -> None:
    whole = requests.get(api.base_url + "/v2/regions", timeout=5).content
    api.set_fault("/v2/regions", Fault("truncated"))
    r = requests.get(api.base_url + "/v2/regions", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert whole.startswith(r.content) and len(r.content) < len(whole)
    with pytest.raises(ValueError):
        r.json()


def test_html_and_missing_key_faults(api: FakeVultr) -> None:
    api.set_fault("/v2/os", Fault("html"))
    api.set_fault("/v2/plans", Fault("missing_key"))
    html = requests.get(api.base_url + "/v2/os", timeout=5)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    body = requests.get(api.base_url + "/v2/plans", timeout=5).json()
    assert "plans" not in body and "meta" in body
    api.clear_faults()
    assert "plans" in requests.get(api.base_url + "/v2/plans", timeout=5).json()


def test_slow_fault_trips_the_read_timeout(api: FakeVultr) -> None:
    api.set_fault("/v2/regions/fra/availability", Fault("slow", times=1, delay_s=2.0))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(api.base_url + "/v2/regions/fra/availability", timeout=(2, 0.3))
    assert time.monotonic() - started < 1.5
    assert requests.get(api.base_url + "/v2/regions/fra/availability", timeout=5).ok


# -- concurrency, records, handle() ---------------------------------------------------------
def test_latency_does_not_serialize_requests(api: FakeVultr) -> None:
    api.latency_ms = 200
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: requests.get(api.base_url + "/v2/os", timeout=5),
                                range(4)))
    codes = [r.status_code for r in replies]
    elapsed = time.monotonic() - started
    assert codes == [200] * 4
    assert 0.2 <= elapsed < 0.7


def test_requests_are_recorded(api: FakeVultr) -> None:
    requests.get(api.base_url + "/v2/plans?per_page=3", headers={"X-Probe": "1"}, timeout=5)
    record = api.requests.snapshot()[-1]
    assert (record.method, record.path, record.query, record.status) == (
        "GET", "/v2/plans", "per_page=3", 200)
    assert record.headers["X-Probe"] == "1"


@pytest.mark.parametrize("target", [
    "/v2/plans?per_page=9&type=vc2", "/v2/regions/ams/availability", "/v2/nope",
    "/v1/plans/list", "/v1/regions/availability?DCID=1",
])
def test_handle_equals_http(api: FakeVultr, target: str) -> None:
    r = requests.get(api.base_url + target, timeout=5)
    status, headers, body = api.handle("GET", target, {})
    assert (status, body) == (r.status_code, r.content)
    assert headers["Content-Type"] == r.headers["Content-Type"]


# -- timeline ---------------------------------------------------------------------------------
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return Timeline(seed=7, start_at=START)


@pytest.fixture
def living(timeline: Timeline) -> Iterator[FakeVultr]:
    with FakeVultr(rate_limit=False, timeline=timeline, clock=lambda: START).start() as emulator:
        yield emulator


def get_at(api: FakeVultr, path: str, at: datetime) -> requests.Response:
    return requests.get(api.base_url + path, headers={"X-Fake-Now": at.isoformat()}, timeout=5)


def state(timeline: Timeline, h: int) -> dict[str, dict]:
    """What a collector can observe at hour h, keyed for diffing."""
    c = timeline.catalog_at(START + timedelta(hours=h))
    return {
        "regions": {r["id"]: r for r in c.regions},
        "plans": {p["id"]: p["monthly_cost"] for p in c.plans + c.plans_metal},
        "regional": {(rid, p["id"]): cost["monthly_cost"] for p in c.plans + c.plans_metal
                     for rid, cost in (p.get("location_cost") or {}).items()},
        "fields": {k for p in c.plans + c.plans_metal for k in p},
        "stock": {(rid, pid) for rid, ids in c.in_stock.items() for pid in ids},
        "offered": {(rid, p["id"]) for p in c.plans + c.plans_metal for rid in p["locations"]},
    }


def observed_events(before: dict, after: dict) -> set[tuple]:
    out = {("region_launched", r, None) for r in after["regions"].keys() - before["regions"].keys()}
    out |= {("plan_added", None, p) for p in after["plans"].keys() - before["plans"].keys()}
    out |= {("plan_retired", None, p) for p in before["plans"].keys() - after["plans"].keys()}
    out |= {("price_changed", None, p) for p in before["plans"].keys() & after["plans"].keys()
            if before["plans"][p] != after["plans"][p]}
    out |= {("regional_price_changed", r, p) for (r, p) in before["regional"].keys() & after["regional"].keys()
            if before["regional"][(r, p)] != after["regional"][(r, p)]}
    out |= {("field_added", None, None) for _ in after["fields"] - before["fields"]}
    both = before["offered"] & after["offered"]
    out |= {("sold_out", r, p) for r, p in (before["stock"] - after["stock"]) & both}
    out |= {("restocked", r, p) for r, p in (after["stock"] - before["stock"]) & both}
    return out


def test_timeline_is_deterministic_per_seed() -> None:
    a, b, c = Timeline(seed=3), Timeline(seed=3), Timeline(seed=4)
    when = [START + timedelta(hours=h) for h in (0, 1, 500, 4000)]
    assert [a.catalog_at(t) for t in when] == [b.catalog_at(t) for t in when]
    assert a.events_between(START, START + timedelta(days=90)) == b.events_between(
        START, START + timedelta(days=90))
    assert a.events_between(START, START + timedelta(days=90)) != c.events_between(
        START, START + timedelta(days=90))


def test_events_between_match_what_a_collector_sees(timeline: Timeline) -> None:
    year = timeline.events_between(START, START + timedelta(days=365))
    kinds = {e["kind"] for e in year}
    assert kinds == {"region_launched", "plan_added", "plan_retired", "price_changed",
                     "regional_price_changed", "field_added", "sold_out", "restocked"}
    rare = sorted({timeline.hour_of(e["at"]) for e in year
                   if e["kind"] not in ("sold_out", "restocked")})
    hours = sorted(set(range(1, 200)) | set(rare))
    for h in hours:
        expected = {(e["kind"], e["region_id"], e["plan_id"]) for e in timeline.events_between(
            START + timedelta(hours=h - 1), START + timedelta(hours=h))}
        assert observed_events(state(timeline, h - 1), state(timeline, h)) == expected, h


def test_sell_out_then_restock_over_http(living: FakeVultr, timeline: Timeline) -> None:
    events = timeline.events_between(START, START + timedelta(days=30))
    gone = next(e for e in events if e["kind"] == "sold_out")
    back = next(e for e in events if e["kind"] == "restocked" and e["at"] > gone["at"]
                and (e["region_id"], e["plan_id"]) == (gone["region_id"], gone["plan_id"]))
    path = f"/v2/regions/{gone['region_id']}/availability"

    def in_stock(at: datetime) -> bool:
        return gone["plan_id"] in get_at(living, path, at).json()["available_plans"]

    assert in_stock(gone["at"] - timedelta(minutes=1))
    assert not in_stock(gone["at"])
    assert not in_stock(back["at"] - timedelta(seconds=1))
    assert in_stock(back["at"])


def test_price_change_over_http(living: FakeVultr, timeline: Timeline) -> None:
    change = next(e for e in timeline.events_between(START, START + timedelta(days=365))
                  if e["kind"] == "price_changed")

    def price(at: datetime) -> object:
        plans = get_at(living, "/v2/plans?per_page=500", at).json()["plans"]
        plans += get_at(living, "/v2/plans-metal", at).json()["plans_metal"]
        return next(p["monthly_cost"] for p in plans if p["id"] == change["plan_id"])
    assert price(change["at"] - timedelta(hours=1)) == change["detail"]["old_monthly_cost"]
    assert price(change["at"]) == change["detail"]["new_monthly_cost"]


def test_region_launch_over_http(living: FakeVultr, timeline: Timeline) -> None:
    launch = next(e for e in timeline.events_between(START, START + timedelta(days=365))
                  if e["kind"] == "region_launched")
    path = f"/v2/regions/{launch['region_id']}/availability"
    assert get_at(living, path, launch["at"] - timedelta(hours=1)).status_code == 404
    assert get_at(living, path, launch["at"]).status_code == 200
    before = get_at(living, "/v2/regions", START).json()["meta"]["total"]
    assert get_at(living, "/v2/regions", launch["at"]).json()["meta"]["total"] == before + 1


def test_quiet_hours_give_byte_identical_bodies(living: FakeVultr, timeline: Timeline) -> None:
    def quiet(h: int) -> bool:
        span = (START + timedelta(hours=h - 1), START + timedelta(hours=h))
        return all(e["kind"] in ("sold_out", "restocked") for e in timeline.events_between(*span))

    h = next(h for h in range(1, 1000) if quiet(h))
    t0, t1 = START + timedelta(hours=h - 1), START + timedelta(hours=h)
    for path in ("/v2/plans?per_page=500", "/v2/regions", "/v2/os", "/v2/plans-metal"):
        assert get_at(living, path, t0).content == get_at(living, path, t1).content
    for path in ("/v2/plans", "/v2/regions/ams/availability"):
        same_hour = t0 + timedelta(minutes=59, seconds=59)
        assert get_at(living, path, t0).content == get_at(living, path, same_hour).content


def test_clock_and_bad_fake_now(timeline: Timeline) -> None:
    later = START + timedelta(days=200)
    api = FakeVultr(rate_limit=False, timeline=timeline, clock=lambda: later)
    assert api.handle("GET", "/v2/regions", {})[2] == api.handle(
        "GET", "/v2/regions", {"X-Fake-Now": later.isoformat()})[2]
    assert api.handle("GET", "/v2/plans", {"X-Fake-Now": "yesterday"})[0] == 400


def test_large_scale_matches_todays_catalog_size() -> None:
    big = Timeline(seed=0, scale="large")
    now = big.catalog_at(START + timedelta(days=365))
    assert len(now.regions) == 33 and len(now.os) == 35  # the 32 recorded and mxp
    assert 200 <= len(now.plans) + len(now.plans_metal) <= 250 and len(now.plans_metal) == 7


def test_drift_field_appears_at_its_instant() -> None:
    drift_at = START + timedelta(days=3)
    timeline = Timeline(seed=1, start_at=START, drift_at=drift_at)
    before = timeline.catalog_at(drift_at - timedelta(hours=1))
    after = timeline.catalog_at(drift_at)
    assert not any(DRIFT_FIELD in p for p in before.plans)
    assert all(DRIFT_FIELD in p for p in after.plans + after.plans_metal)
    assert [e["kind"] for e in timeline.events_between(drift_at - timedelta(hours=1), drift_at)
            if e["kind"] == "field_added"] == ["field_added"]
