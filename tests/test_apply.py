"""Applying a snapshot in few statements: the bodies a collection stages from memory equal those read
back from raw (what `rebuild` stages), and a stock poll (pipeline.warehouse.stock: answers read in
Python; tidying, the quality gate and the diff as set operations) gives what the generic merge, the
SQL staging and the gate give, on hand-built catalogs and on the same answers."""
from __future__ import annotations

import json
import os
import random
import zlib
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipeline.collect.collector import ingest, publish_or_fail
from pipeline.collect.http import Call
from pipeline.errors import CatalogError
from pipeline.status import SnapshotStatus
from pipeline.warehouse import rawstore, stock, transform
from pipeline.warehouse import store as warehouse
from tests.test_normalize import body, v1_calls

NOW = datetime(2026, 1, 1, tzinfo=UTC)
OS_PAGES = [("os", "/os", {}, body("v2/libcloud_v2_os_page1.json")),  # cursors as the pages chain them
            ("os", "/os", {"cursor": "bmV4dF9fMjMw"}, body("v2/libcloud_v2_os_page2.json")),
            ("os", "/os", {"cursor": "bmV4dF9fNDAx"}, body("v2/libcloud_v2_os_page3.json"))]
V2_CALLS = [("regions", "/regions", {}, body("v2/libcloud_v2_regions.json")),
            ("plans", "/plans", {"type": "all"}, body("v2/libcloud_v2_plans.json")),
            *OS_PAGES,
            ("availability", "/regions/ewr/availability", {}, body("v2/libcloud_v2_region_availability.json")),
            ("availability", "/regions/fra/availability", {}, b'{"available_plans": ["vc2-1c-1gb"]}')]


def later(calls: list[tuple[str, str, dict, bytes]]) -> list[tuple[str, str, dict, bytes]]:
    """The same requests an hour on, each answer a little different (stored as a delta of the first)."""
    return [(e, p, q, json.dumps({**json.loads(b), "seen": 2}).encode() if b.startswith(b"{") else b)
            for e, p, q, b in calls]


@pytest.mark.parametrize("version, calls", [("v2", V2_CALLS), ("v1", v1_calls())], ids=["v2", "v1"])
def test_bodies_staged_from_memory_equal_the_raw_read_back(tmp_path, version, calls):
    with warehouse.open_warehouse(tmp_path) as con:
        stored = None
        for hour, answers in enumerate((calls, later(calls))):
            at = NOW + timedelta(hours=hour)
            shuffled = random.Random(hour).sample(answers, len(answers))  # pages out of chain order
            sid = warehouse.start_snapshot(con, version, "test", at, True)
            stored = warehouse.store_calls(con, sid, [Call(e, p, q, 200, b, 1.0, at) for e, p, q, b in shuffled])
        some = {key for key in stored.bodies if key[0] == "availability"}
        from_memory = [warehouse.snapshot_body_rows(con, sid, only, stored.answers) for only in (None, some)]
        rawstore.clear_cache()  # decode every body from storage (the second hour's are deltas)
        from_raw = [warehouse.snapshot_body_rows(con, sid, only) for only in (None, some)]
    assert from_memory == from_raw
    everything = from_memory[0]
    assert len(everything["body"]) == len(calls) and all('"seen": 2' in b for b in everything["body"] if b[0] == "{")
    if version == "v2":
        os_pages = [json.loads(b)["meta"]["links"]["prev"] for e, b in zip(everything["endpoint"], everything["body"])
                    if e == "os"]
        assert os_pages == ["", "cHJldl9fMjQw", "cHJldl9fNDEy"]  # chain order: page 1, 2, 3
        assert from_memory[1]["region_key"] == ["ewr", "fra"]
    else:
        assert from_memory[1]["region_key"] == ["34", "9"]


PLANS = [("vc2-1c-1gb", 5), ("vc2-2c-4gb", 20), ("vhf-1c-1gb", 6)]


def catalog(con, plans=PLANS, regions=("ewr", "fra", "ams"), in_stock=(("ewr", "vc2-1c-1gb"), ("ewr", "vc2-2c-4gb"),
                                                                        ("fra", "vc2-1c-1gb"), ("ams", "vhf-1c-1gb"))):
    """A current catalog written straight into history (valid_to null), as a full collection leaves it."""
    for plan_id, usd in plans:
        con.execute("insert into plans_history (plan_id, monthly_cost_usd, valid_from) values (?, ?, ?)",
                    [plan_id, usd, NOW])
    for region_id in regions:
        con.execute("insert into regions_history (region_id, valid_from) values (?, ?)", [region_id, NOW])
    for region_id, plan_id in in_stock:
        con.execute("insert into availability_history values (?, ?, ?, null)", [region_id, plan_id, NOW])


def poll(con, staged: list[tuple[str, str]], regions: list | None) -> stock.StockPoll:
    return stock.read_poll(con, staged, regions)


def test_stock_poll_diff_only_in_the_polled_regions(tmp_path):
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        result = poll(con, [("ewr", "vc2-1c-1gb"), ("ewr", "vhf-1c-1gb"), ("fra", "vc2-1c-1gb")], ["ewr", "fra"])
        assert sorted(result.changes) == [("added", "ewr", "vhf-1c-1gb"), ("removed", "ewr", "vc2-2c-4gb")]
        assert result.warnings == [] and result.anomalies == []
        everywhere = poll(con, [("ewr", "vc2-1c-1gb")], None)  # v1: every region polled
        assert sorted(everywhere.changes) == [("removed", "ams", "vhf-1c-1gb"), ("removed", "ewr", "vc2-2c-4gb"),
                                              ("removed", "fra", "vc2-1c-1gb")]
        assert stock.record(con, 9, NOW + timedelta(minutes=1), result) == 2
        current = con.execute("select region_id, plan_id from availability_history where valid_to is null"
                              " order by all").fetchall()
        events = con.execute("select snapshot_id, entity, entity_id, region_id, change_type, field from catalog_changes"
                             " order by all").fetchall()
    assert current == [("ams", "vhf-1c-1gb"), ("ewr", "vc2-1c-1gb"), ("ewr", "vhf-1c-1gb"), ("fra", "vc2-1c-1gb")]
    assert events == [(9, "availability", "vc2-2c-4gb", "ewr", "removed", None),
                      (9, "availability", "vhf-1c-1gb", "ewr", "added", None)]


def test_stock_poll_leaves_unknown_regions_and_drops_unknown_plans_with_a_warning(tmp_path, caplog):
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        staged = [("ewr", "vc2-1c-1gb"), ("ewr", "vc2-2c-4gb"), ("ewr", "vc2-ghost"), ("mars", "vc2-1c-1gb"),
                  ("mars", "vc2-ghost")]
        result = poll(con, staged, ["ewr", "mars"])
    assert result.changes == []  # mars waits for the next full collection; the ghost is never in stock
    assert result.warnings == ["availability: 1 region-plan pair(s) name a plan absent from the catalog "
                               "(vc2-ghost); dropped"]
    assert "staging: availability: 1 region-plan pair(s)" in caplog.text


@pytest.mark.parametrize("plans, staged, regions, reason", [
    (PLANS, [], ["ewr", "fra", "ams"], "availability is empty in every region (was 4 plan-region pairs)"),
    (PLANS, [("ewr", "vhf-1c-1gb")], ["ewr", "fra", "ams"], None),       # one pair left: plausible
    (PLANS, [], ["ewr", "fra"], None),                                    # ams not polled: still in stock
    ([("vc2-1c-1gb", 0), ("vc2-2c-4gb", None)], [("ewr", "vc2-1c-1gb")], ["ewr"],
     "every plan price is zero or missing"),
], ids=["all-sold-out", "one-left", "unpolled-region-keeps-stock", "no-prices"])
def test_stock_poll_gate(tmp_path, plans, staged, regions, reason):
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con, plans=plans)
        result = poll(con, staged, regions)
    assert result.anomalies == ([reason] if reason else [])


def test_an_unchanged_stock_answer_applies_nothing_and_a_changed_one_only_its_region(tmp_path):
    """Through apply_snapshot with the previous snapshot's answers given (as a collection has them from
    its open runs, and a rebuild from the snapshot it replayed last) and read back (as after a failed
    poll, or for a rebuild's first snapshot)."""
    calls = [("availability", f"/regions/{r}/availability", {}, json.dumps({"available_plans": plans}).encode())
             for r, plans in (("ewr", ["vc2-1c-1gb", "vc2-2c-4gb"]), ("fra", ["vc2-1c-1gb"]), ("ams", ["vhf-1c-1gb"]))]
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        sid = warehouse.start_snapshot(con, "v2", "test", NOW, True, "stock")
        first = warehouse.store_calls(con, sid, [Call(e, p, q, 200, b, 1.0, NOW) for e, p, q, b in calls])
        warehouse.finish_snapshot(con, sid, SnapshotStatus.OK)  # ok: the history reflects these answers
        calls[1] = ("availability", "/regions/fra/availability", {}, b'{"available_plans": []}')
        at = NOW + timedelta(minutes=1)
        sid = warehouse.start_snapshot(con, "v2", "test", at, True, "stock")
        stored = warehouse.store_calls(con, sid, [Call(e, p, q, 200, b, 1.0, at) for e, p, q, b in calls])
        outcomes = []
        for previous in (stored.previous_bodies, None):
            con.execute("begin")
            result = transform.apply_snapshot(con, sid, "v2", at, kind="stock", bodies=stored.bodies,
                                              answers=stored.answers, own_transaction=False, previous_bodies=previous)
            closed = con.execute("select region_id, plan_id, valid_to from availability_history"
                                 " where valid_to is not null").fetchall()
            outcomes.append((result.is_applied, result.change_count, closed))
            con.execute("rollback")
        applied = con.execute("select count(*) from _applied_bodies").fetchall()[0][0]
    assert stored.previous_bodies == first.bodies
    assert outcomes == [(True, 1, [("fra", "vc2-1c-1gb", at)])] * 2
    assert applied == 0  # a stock poll writes no _applied_bodies row: its answers are read from the log


def availability_calls(at: datetime, fra: list[str]) -> list[Call]:
    answers = {"ewr": ["vc2-1c-1gb", "vc2-2c-4gb"], "fra": fra, "ams": ["vhf-1c-1gb"]}
    return [Call("availability", f"/regions/{r}/availability", {}, 200,
                 json.dumps({"available_plans": plans}).encode(), 1.0, at) for r, plans in answers.items()]


def stock_poll(con, at: datetime, fra: list[str]) -> tuple[int, bool]:
    return ingest(con, warehouse.start_snapshot(con, "v2", "test", at, True, "stock"), "v2",
                  availability_calls(at, fra), at, kind="stock")


def fra_versions(con) -> list[tuple]:
    return con.execute("select valid_from, valid_to from availability_history where region_id = 'fra'"
                       " order by valid_from").fetchall()


def test_a_stock_poll_after_a_failed_one_compares_with_the_latest_applied_answers(tmp_path):
    """A failed poll's answers are stored but never applied. The poll after it (its previous snapshot
    not ok) compares with the latest ok snapshot's answers, read back: the same sold-out answer the
    failed poll saw is still a change, recorded at this poll."""
    minutes = [NOW + timedelta(minutes=m) for m in range(3)]
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        assert stock_poll(con, minutes[0], ["vc2-1c-1gb"]) == (0, False)
        failed = warehouse.start_snapshot(con, "v2", "test", minutes[1], True, "stock")
        warehouse.store_calls(con, failed, availability_calls(minutes[1], []))  # as a failed poll keeps its answers
        warehouse.finish_snapshot(con, failed, SnapshotStatus.FAILED, "HTTP 500 from another region")
        changes = stock_poll(con, minutes[2], [])
        versions = fra_versions(con)
    assert changes == (1, False)
    assert versions == [(NOW, minutes[2])]


def test_a_stock_poll_after_one_that_failed_only_at_publishing_compares_with_its_answers(tmp_path):
    """A poll that failed at publishing was applied and committed first: its history stands, so the
    next poll compares with its answers. One that finds the plan back in stock, as the last ok poll
    saw it, records the restock."""
    minutes = [NOW + timedelta(minutes=m) for m in range(3)]
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        assert stock_poll(con, minutes[0], ["vc2-1c-1gb"]) == (0, False)
        assert stock_poll(con, minutes[1], []) == (1, False)
        sold_out = con.execute("select max(snapshot_id) from snapshots").fetchall()[0][0]
        (tmp_path / f".catalog.duckdb.{os.getpid()}.tmp").mkdir()  # the temp catalog cannot be written
        with pytest.raises(CatalogError, match="publishing the catalog failed"):
            publish_or_fail(con, tmp_path, sold_out)
        (tmp_path / f".catalog.duckdb.{os.getpid()}.tmp").rmdir()
        changes = stock_poll(con, minutes[2], ["vc2-1c-1gb"])
        versions = fra_versions(con)
        status = con.execute("select status from snapshots where snapshot_id = ?", [sold_out]).fetchall()
    assert status == [("failed",)]
    assert changes == (1, False)
    assert versions == [(NOW, minutes[1]), (minutes[2], None)]


def test_the_stored_bodies_index_follows_rollbacks_and_other_writers(tmp_path):
    """rawstore.lookup answers from an index in memory (after a process's first lookup, a scan): a body
    whose insert was rolled back is not stored, and one another process inserted, or repair dropped,
    is seen as it is in the file."""
    def new(text: bytes) -> rawstore.NewBody:
        return rawstore.NewBody(rawstore.body_hash(text), text, NOW, None)

    def ask(con, text: bytes) -> tuple[dict, int]:
        found = rawstore.lookup(con, [rawstore.body_hash(text)], [])
        return found.known, found.next_id

    kept, rolled_back, other, dropped = b'{"a": 1}', b'{"b": 2}', b'{"c": 3}', b'{"d": 4}'
    with warehouse.open_warehouse(tmp_path) as con:
        ids = rawstore.put_bodies(con, [new(kept), new(dropped)])
        ask(con, kept), ask(con, kept)  # a process's first lookup scans the table; the second reads the index
        con.execute("begin")
        rawstore.put_bodies(con, [new(rolled_back)])  # and this insert is added to it
        assert ask(con, rolled_back)[0] == {rawstore.body_hash(rolled_back): 3}  # seen inside its transaction
        con.execute("rollback")
        assert ask(con, rolled_back) == ({}, 3)
        assert ask(con, kept)[0] == {rawstore.body_hash(kept): ids[rawstore.body_hash(kept)]}
    with duckdb.connect(str(warehouse.warehouse_path(tmp_path))) as other_process:
        other_process.execute("insert into raw_bodies (body_id, body_hash, body_zlib, size_bytes, first_seen_at,"
                              " chain_depth) values (3, ?, ?, ?, ?, 0)",
                              [rawstore.body_hash(other), zlib.compress(other), len(other), NOW])
        other_process.execute("delete from raw_bodies where body_hash = ?", [rawstore.body_hash(dropped)])
    with warehouse.open_warehouse(tmp_path) as con:
        answers = [(ask(con, other), ask(con, dropped)[0])]
        rawstore.clear_cache()  # a process's first lookup scans the table instead: the same answers
        answers.append((ask(con, other), ask(con, dropped)[0]))
    assert answers == [(({rawstore.body_hash(other): 3}, 4), {})] * 2


def test_a_stock_answer_staging_cannot_read_fails_the_poll_as_normalizing(tmp_path):
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        sid = warehouse.start_snapshot(con, "v2", "test", NOW, True, "stock")
        bad = [Call("availability", "/regions/ewr/availability", {}, 200, b'{"available_plans": ', 1.0, NOW)]
        stored = warehouse.store_calls(con, sid, bad)
        with pytest.raises(CatalogError, match=r"^normalizing availability: "):
            transform.apply_snapshot(con, sid, "v2", NOW, kind="stock", bodies=stored.bodies, answers=stored.answers)


ODD_V2 = b'{"available_plans": ["vc2-1c-1gb", "vc2-1c-1gb", "vc2-ghost", null, 201, 2.50, true]}'
ODD_V1 = b'[201, 400, 201, null, "x", 1e3, false]'


@pytest.mark.parametrize("version, calls, odd", [
    ("v2", V2_CALLS, ("availability", "/regions/fra/availability", {}, ODD_V2)),
    ("v1", v1_calls(), ("availability", "/regions/availability", {"DCID": "34"}, ODD_V1)),
], ids=["v2", "v1"])
def test_a_stock_poll_reads_answers_as_the_full_collection_stages_them(tmp_path, version, calls, odd):
    """The same availability answers, applied by a full collection (SQL staging and tidying) and by a
    stock poll (read in Python) onto the same catalog, leave the same pairs in stock and the same warning."""
    answers = [call for call in calls if call[0] != "availability"] + [
        call for call in calls if call[0] == "availability" and call[1:3] != odd[1:3]] + [odd]
    outcomes = []
    for name, first, second in (("full", answers, None), ("stock", blank_availability(answers), answers)):
        with warehouse.open_warehouse(tmp_path / name) as con:
            warnings = apply_calls(con, version, first, NOW, "full")
            if second is not None:
                warnings = apply_calls(con, version, [c for c in second if c[0] == "availability"],
                                       NOW + timedelta(minutes=1), "stock")
            outcomes.append((con.execute("select region_id, plan_id from availability_history where valid_to is null"
                                         " order by all").fetchall(), warnings))
    assert outcomes[0] == outcomes[1]
    in_stock, warnings = outcomes[0]
    assert len(in_stock) >= 3 and len(warnings) == 1 and "absent from the catalog" in warnings[0]


def blank_availability(calls):
    empty = b'{"available_plans": []}'
    return [(e, p, q, (empty if p != "/regions/availability" else b"[]") if e == "availability" else b)  # v1: a bare list
            for e, p, q, b in calls]


def apply_calls(con, version, calls, at, kind) -> list[str]:
    sid = warehouse.start_snapshot(con, version, "test", at, True, kind)
    ingest(con, sid, version, [Call(e, p, q, 200, b, 1.0, at) for e, p, q, b in calls], at, kind=kind)
    warnings = con.execute("select warnings from snapshots where snapshot_id = ?", [sid]).fetchall()[0][0]
    return [w for w in (warnings or "").split(" | ") if "availability" in w]


def test_a_stock_poll_restores_the_optimizers_whether_it_applies_or_fails(tmp_path):
    """Its statements run with DuckDB's optimizer reduced (stock.lean_planning); the connection gets
    it whole back."""
    good = [("availability", "/regions/ewr/availability", {}, b'{"available_plans": ["vc2-1c-1gb"]}')]
    bad = [("availability", "/regions/ewr/availability", {}, b'{"available_plans": ')]
    with warehouse.open_warehouse(tmp_path) as con:
        catalog(con)
        outcomes = []
        for minute, calls in enumerate((good, bad), start=1):
            at = NOW + timedelta(minutes=minute)
            sid = warehouse.start_snapshot(con, "v2", "test", at, True, "stock")
            try:
                outcomes.append(ingest(con, sid, "v2", [Call(e, p, q, 200, b, 1.0, at) for e, p, q, b in calls], at,
                                       kind="stock"))
            except CatalogError as exc:
                outcomes.append(str(exc).split(":")[0])
            outcomes.append(con.execute("select current_setting('disabled_optimizers')").fetchall()[0][0])
        with stock.lean_planning(con):
            skipped = set(con.execute("select current_setting('disabled_optimizers')").fetchall()[0][0].split(","))
    assert outcomes == [(1, False), "", "normalizing availability", ""]  # ewr lost vc2-2c-4gb
    assert "join_order" in skipped and "filter_pushdown" not in skipped
