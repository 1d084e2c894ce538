"""Schema drift everywhere, never fatal for what we do not need: new fields and JSON type changes in every
endpoint read (plans, bare metal, regions, OS, the availability answer), one level down too; the known
fields derived from the staging models; a numeric string read as the number; an unreadable described
field NULL; an unreadable needed field rejected in one line naming the plan and the field.

The second answers below are SYNTHETIC: the first snapshot's (tests/test_live_shapes.py) with the changes
each test names."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline import queries
from pipeline.collect.collector import ingest, publish_or_fail
from pipeline.collect.http import Call
from pipeline.errors import AnomalyError
from pipeline.queries.status import collector_status, render_status
from pipeline.warehouse import drift
from pipeline.warehouse import store as warehouse
from tests.test_live_shapes import META, NOW, calls, folded, recorded_plans
from tests.test_normalize import rows

LATER = NOW + timedelta(hours=1)


def answers(change=None) -> list[tuple[str, str, dict, bytes]]:
    """The folded 2026 catalog's answers; `change(endpoint, doc)` edits a parsed answer in place."""
    out = []
    for endpoint, path, params, body in calls(folded(recorded_plans())):
        doc = json.loads(body)
        if change:
            change(endpoint, doc)
        out.append((endpoint, path, params, json.dumps(doc).encode()))
    return out


def apply(data_dir: Path, at, calls_: list) -> None:
    with warehouse.open_warehouse(data_dir) as con:
        sid = warehouse.start_snapshot(con, "v2", "test", at, True)
        ingest(con, sid, "v2", [Call(e, p, q, 200, b, 1.0, at) for e, p, q, b in calls_], at)
        publish_or_fail(con, data_dir, sid)


def find(items: list[dict], item_id: str) -> dict:
    return next(i for i in items if i["id"] == item_id)


def drifted(endpoint: str, doc: dict) -> None:
    """SYNTHETIC drift in every endpoint read."""
    if endpoint == "plans":
        plan = find(doc["plans"], "vc2-1c-1gb")
        plan["location_cost"]["sao"]["monthly_cost_reserved"] = 6  # a new key one level down
        plan["disk"] = "25"                                          # a numeric string: read as 25
        find(doc["plans"], "vx1-g-2c-8g")["link_speed"] = "2 Gbps"  # described only: NULL
        plan["burst_credits"] = 10                                   # a new field
    elif endpoint == "plans_metal":
        find(doc["plans_metal"], "vbm-6c-32gb")["cpu_mhz"] = "4.0 GHz"  # described only: NULL
    elif endpoint == "regions":
        for region in doc["regions"]:
            region["connectivity"] = ["vpc", "public_ipv4"]         # read (govultr, 2026): no drift
            region["status_page"] = {"url": "https://status"}       # a new field, an object
        doc["regions"][0]["options"].append({"name": "gpu"})       # an option that is an object
    elif endpoint == "os":
        doc["os"][0]["release_date"] = "2026-01-01"
    elif endpoint == "availability":
        doc["meta"] = META


@pytest.fixture(scope="module")
def drift_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("drift") / "data"
    data_dir.mkdir()
    apply(data_dir, NOW, answers())
    with queries.catalog(data_dir) as con:
        assert queries.schema_drift(con).empty  # every field of the 2026 shapes is read: no false alarm
    apply(data_dir, LATER, answers(drifted))
    return data_dir


def test_known_fields_come_from_the_staging_models():
    known = set(drift.known_fields())
    assert {("plan_metal", "cpu_vendor"), ("plan_metal", "cpu_manufacturer"), ("plan", "link_speed"),
            ("plan", "location_cost.*.monthly_cost"), ("region", "options[]"), ("os", "family"),
            ("availability", "available_plans[]"), ("plan", "name")} <= known
    assert not {e for e, _ in known} - {"plan", "plan_metal", "region", "os", "availability"}


def test_drift_in_every_endpoint_new_fields_and_type_changes(drift_dir):
    with queries.catalog(drift_dir) as con:
        found = queries.schema_drift(con)
    records = found.astype(object).where(found.notna(), None).to_dict("records")
    got = {(r["entity"], r["field"], r["kind"], r["json_type"]) for r in records}
    assert got == {
        ("plan", "burst_credits", "new_field", None),
        ("plan", "location_cost.*.monthly_cost_reserved", "new_field", None),
        ("plan", "disk", "type_change", "VARCHAR"),
        ("plan", "link_speed", "type_change", "VARCHAR"),
        ("plan_metal", "cpu_mhz", "type_change", "VARCHAR"),
        ("region", "status_page", "new_field", None),
        ("region", "status_page.url", "new_field", None),
        ("region", "options[]", "type_change", "JSON"),  # strings and an object: mixed
        ("os", "release_date", "new_field", None),
        ("availability", "meta", "new_field", None),
        ("availability", "meta.links", "new_field", None),
        ("availability", "meta.total", "new_field", None),
    }
    assert set(found["first_snapshot_id"]) == {2}
    status = collector_status(drift_dir)
    text = render_status(status)
    assert "plan field `disk` sent as VARCHAR since snapshot 2" in text
    assert "region field `status_page` since snapshot 2" in text


def test_drift_is_never_fatal_and_reads_what_it_can(drift_dir):
    with queries.catalog(drift_dir) as con:
        plans = rows(queries.run_sql(con, "select * from plans"), "plan_id")
        snapshots = queries.run_sql(con, "select status from snapshots order by snapshot_id")["status"].tolist()
    assert snapshots == ["ok", "ok"]
    assert plans["vc2-1c-1gb"]["disk_gb"] == 25                 # "25" read as the number
    assert plans["vbm-6c-32gb"]["cpu_mhz"] is None              # "4.0 GHz": NULL, and drift
    assert plans["vx1-g-2c-8g"]["link_speed_gbps"] is None
    with queries.catalog(drift_dir) as con:
        regions = rows(queries.run_sql(con, "select region_id, connectivity from regions"), "region_id")
    assert list(regions["ewr"]["connectivity"]) == ["public_ipv4", "vpc"]


@pytest.mark.parametrize("plan_id,field,value,named", [
    ("vc2-1c-1gb", "ram", "lots", "field `ram`"),
    ("vc2-1c-1gb", "monthly_cost", None, "field `monthly_cost`"),
    ("vbm-6c-32gb", "cpu_threads", "twelve", "field `cpu_threads`"),
    ("vc2-2c-4gb", "locations", "ewr", "field `locations`"),
    ("vc2-1c-1gb", "location_cost", {"sao": {"monthly_cost": "7,50"}}, "field `location_cost.sao.monthly_cost`"),
])
def test_an_unreadable_needed_field_rejects_the_snapshot_in_one_line(tmp_path, plan_id, field, value, named):
    def broken(endpoint: str, doc: dict) -> None:
        for key in ("plans", "plans_metal"):
            for item in doc.get(key, []):
                if item["id"] == plan_id:
                    item[field] = value
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    apply(data_dir, NOW, answers())
    with warehouse.open_warehouse(data_dir) as con:
        before = con.execute("select * from plans_history order by plan_id").fetchall()
        sid = warehouse.start_snapshot(con, "v2", "test", LATER, True)
        with pytest.raises(AnomalyError) as rejected:
            ingest(con, sid, "v2", [Call(e, p, q, 200, b, 1.0, LATER) for e, p, q, b in answers(broken)], LATER)
        assert con.execute("select * from plans_history order by plan_id").fetchall() == before
    message = str(rejected.value)
    assert "\n" not in message and f"plan {plan_id}: {named} cannot be read" in message
    assert "GET /plans" in message and " item " in message  # the endpoint and the item's index (issue 26)


def test_a_null_plan_id_names_the_endpoint_its_index_and_the_field(tmp_path):
    """Issue 26: a malformed item names the endpoint, the item's index and the field, in one line."""
    def null_id(endpoint: str, doc: dict) -> None:
        for key in ("plans", "plans_metal"):
            items = doc.get(key, [])
            if key == "plans_metal" and len(items) > 1:
                items[1]["id"] = None
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    apply(data_dir, NOW, answers())
    with warehouse.open_warehouse(data_dir) as con:
        sid = warehouse.start_snapshot(con, "v2", "test", LATER, True)
        with pytest.raises(AnomalyError) as rejected:
            ingest(con, sid, "v2", [Call(e, p, q, 200, b, 1.0, LATER) for e, p, q, b in answers(null_id)], LATER)
    message = str(rejected.value)
    assert "\n" not in message and "GET /plans-metal item 1: plan (no id): field `id` cannot be read (sent null)" in message
