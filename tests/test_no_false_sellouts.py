"""Hardening (issue 26): no false sell-outs, over loopback. An availability answer that is not a list of
plan ids rejects the snapshot in one line naming the region (a full collection and a stock poll); a
region whose in-stock list goes from at least 5 plans to none in one poll is held as suspect: nothing
recorded, no alert, until the next poll confirms it (applied then) or lists plans again (a glitch,
nothing applied); the hold is recorded, and rebuild re-derives the same history."""
from __future__ import annotations

import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from pipeline.collect.collector import collect
from pipeline.entities import HISTORY_TABLES
from pipeline.errors import AnomalyError
from pipeline.fakeapi import FakeVultr, Fault, Timeline
from pipeline.paths import warehouse_path
from pipeline.service.alerts import alert_hooks, load_rules
from pipeline.warehouse.rebuild import rebuild
from tests.conftest import fast_settings, stock_rule, write_rules

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
FRA = "/v2/regions/fra/availability"


@pytest.fixture
def living_api():
    with FakeVultr(timeline=Timeline(seed=7, start_at=T0), rate_limit=False).start() as emulator:
        yield emulator


@pytest.fixture
def run(living_api, data_dir):
    settings = fast_settings(living_api, data_dir, requests_per_second=500)
    return lambda at, kind="stock", **kw: collect(settings, at=at, kind=kind, **kw)


def rows(data_dir, query):
    with duckdb.connect(str(warehouse_path(data_dir)), read_only=True) as con:
        return con.execute(query).fetchall()


IN_FRA = "select count(*) from availability_history where region_id = 'fra' and valid_to is null"


def fra_changes(data_dir) -> int:
    return rows(data_dir, "select count(*) from catalog_changes where entity = 'availability'"
                          " and snapshot_id > 1 and region_id = 'fra'")[0][0]


@pytest.mark.parametrize("kind", ["stock", "full"])
def test_a_region_going_empty_is_held_then_cleared_when_it_lists_plans_again(run, living_api, data_dir, kind):
    run(T0, "full")
    before = rows(data_dir, IN_FRA)[0][0]
    assert before >= 5
    living_api.set_fault(FRA, Fault("empty", times=1))
    held = run(T0 + MINUTE, kind)
    assert held.change_count == 0 and rows(data_dir, IN_FRA)[0][0] == before
    assert any("region fra went from" in w and "held as suspect" in w for w in held.warnings)
    assert rows(data_dir, "select region_id, plan_count, resolved_snapshot_id from availability_holds") == [
        ("fra", before, None)]
    cleared = run(T0 + 2 * MINUTE, kind)
    assert any("was a glitch, nothing applied" in w for w in cleared.warnings)
    assert fra_changes(data_dir) == 0 and rows(data_dir, IN_FRA)[0][0] == before
    assert rows(data_dir, "select outcome, resolved_snapshot_id from availability_holds") == [
        ("recovered", cleared.snapshot_id)]


@pytest.mark.parametrize("kind", ["stock", "full"])
def test_a_region_still_empty_at_the_next_poll_is_sold_out_then(run, living_api, data_dir, kind):
    run(T0, "full")
    before = rows(data_dir, IN_FRA)[0][0]
    living_api.set_fault(FRA, Fault("empty"))
    run(T0 + MINUTE, kind)
    assert fra_changes(data_dir) == 0
    confirmed = run(T0 + 2 * MINUTE, kind)
    assert any("is confirmed: applied" in w for w in confirmed.warnings)
    assert rows(data_dir, IN_FRA)[0][0] == 0 and fra_changes(data_dir) == before
    assert rows(data_dir, "select min(snapshot_id) from catalog_changes where region_id = 'fra'"
                          " and snapshot_id > 1") == [(confirmed.snapshot_id,)]  # recorded one poll later
    assert rows(data_dir, "select outcome from availability_holds") == [("confirmed",)]
    living_api.clear_faults()
    assert run(T0 + 3 * MINUTE, kind).change_count >= before  # back in stock, as a restock


def test_alerts_wait_for_the_confirming_poll(run, living_api, data_dir, receiver, tmp_path):
    rules = load_rules(write_rules(tmp_path / "rules.toml", stock_rule(receiver.url)))
    run(T0, "full", hooks=alert_hooks(rules))
    living_api.set_fault(FRA, Fault("empty", times=1))
    run(T0 + MINUTE, hooks=alert_hooks(rules))
    run(T0 + 2 * MINUTE, hooks=alert_hooks(rules))
    assert receiver.bodies == []  # a glitch of one region alerts nobody
    living_api.set_fault(FRA, Fault("empty", times=2))
    run(T0 + 3 * MINUTE, hooks=alert_hooks(rules))
    assert receiver.bodies == []
    run(T0 + 4 * MINUTE, hooks=alert_hooks(rules))
    assert receiver.bodies and all("fra" in str(body) for body in receiver.bodies)


def test_rebuild_re_derives_the_holds_and_the_same_history(run, living_api, data_dir):
    run(T0, "full")
    living_api.set_fault(FRA, Fault("empty", times=1))
    for minutes in (1, 2):
        run(T0 + minutes * MINUTE)
    living_api.set_fault(FRA, Fault("empty", times=2))
    for minutes in (3, 4, 5):
        run(T0 + minutes * MINUTE)
    tables = (*HISTORY_TABLES, "catalog_changes", "availability_holds")
    before = {t: sorted(rows(data_dir, f"select * from {t}"), key=repr) for t in tables}
    rebuild(data_dir)
    assert {t: sorted(rows(data_dir, f"select * from {t}"), key=repr) for t in tables} == before
    assert [row[0] for row in rows(data_dir, "select outcome from availability_holds order by held_snapshot_id")] == [
        "recovered", "confirmed"]


class RewritingProxy:
    """Loopback HTTP in front of the emulator that answers one path with a body of its own: the live
    API's irregular answer (the emulator serves only recorded shapes)."""

    def __init__(self, upstream: str, path: str, body: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                if self.path.split("?")[0] == path:
                    status, data = 200, body
                else:
                    with urllib.request.urlopen(upstream + self.path, timeout=10) as answer:
                        status, data = answer.status, answer.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("body, says", [
    (b'{"available_plans": "vc2-1c-1gb"}', 'GET /regions/fra/availability: field `available_plans` is not a list '
                                           '(sent "vc2-1c-1gb")'),
    (b'{"available_plans": null}', "GET /regions/fra/availability: field `available_plans` is not a list (sent null)"),
    (b'{"plans": []}', "GET /regions/fra/availability: body has no 'available_plans' key"),
    (b'{"available_plans": [{"id": "vc2-1c-1gb"}]}', 'snapshot rejected: availability of region fra: field '
                                                    '`available_plans[0]` is not a list of plan ids (sent {"id": "vc2-1c-1gb"})'),
])
@pytest.mark.parametrize("stock", [(), ("--stock",)], ids=["full", "stock"])
def test_an_answer_that_is_not_a_list_of_plan_ids_fails_the_snapshot(api, data_dir, cli, body, says, stock):
    from tests.conftest import FAST_V2

    assert cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2).returncode == 0
    proxy = RewritingProxy(api.base_url, FRA, body)
    try:
        run = cli("collect", "--base-url", f"{proxy.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2, *stock)
    finally:
        proxy.close()
    assert run.returncode == 1 and run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert line == f"Error: {says}"
    assert rows(data_dir, "select status from snapshots order by snapshot_id desc limit 1") == [
        ("rejected" if "rejected" in says else "failed",)]
    assert rows(data_dir, "select count(*) from catalog_changes") == [(0,)]


def test_a_malformed_answer_never_reaches_the_history_even_with_accept_anomalies(run, living_api, data_dir):
    run(T0, "full")
    proxy = RewritingProxy(living_api.base_url, FRA, b'{"available_plans": ["vc2-1c-1gb", ["x"]]}')
    try:
        settings = fast_settings(living_api, data_dir, requests_per_second=500, base_url=f"{proxy.base_url}/v2")
        with pytest.raises(AnomalyError, match="availability of region fra"):
            collect(settings, at=T0 + MINUTE, kind="stock", accept_anomalies=True)
    finally:
        proxy.close()
