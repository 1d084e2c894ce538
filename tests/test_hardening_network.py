"""Hardening (issue 14): secrets never stored, every network read bounded. Each hostile case runs
over real loopback HTTP against the emulator's fault kinds, through the CLI in-process: one clear
`Error:` line, exit 1, the published catalog byte-identical."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from pipeline.calls import Call
from pipeline.cli import main
from pipeline.collect.http import new_session
from pipeline.config import Settings
from pipeline.fakeapi import FakeVultr, Fault
from pipeline.paths import catalog_path
from pipeline.service.alerts import AlertConfig, Delivery, Rule, process_alerts
from pipeline.service.alerts.channels import target_key
from pipeline.warehouse import store
from tests.conftest import FAST_V2, V1_REGIONS, file_digest, wait_for

KEY = "s3cr3t+k/ey=XYZ-0123456789"  # `+`, `/` and `=` make the URL-encoded forms differ from the raw one
AVAILABILITY = re.compile(r"/v2/regions/[a-z]+/availability")
KEY_FORMS = [KEY, quote(KEY, safe=""), quote_plus(KEY), quote(KEY, safe="").lower(), f"Bearer {KEY}"]


@pytest.fixture
def api():
    """conftest's emulator with a 3-region v1 world (V1_REGIONS): the v1 cases collect twice at v1's
    2 requests/s, in 6 s instead of 20."""
    with FakeVultr(v1_regions=V1_REGIONS, unlimited=("v2",)).start() as emulator:
        yield emulator


@pytest.fixture
def bounded_env(monkeypatch):
    """Small bounds so each case fails in about a second."""
    monkeypatch.setenv("VULTR_CATALOG_REQUEST_DEADLINE", "1.5s")
    monkeypatch.setenv("VULTR_CATALOG_MAX_RESPONSE_MB", "1")
    monkeypatch.delenv("VULTR_API_KEY", raising=False)
    return monkeypatch


def collect_cli(api: FakeVultr, data_dir: Path, version: str = "v2") -> int:
    return main(["collect", "--base-url", f"{api.base_url}/{version}", "--api-version", version,
                 "--data-dir", str(data_dir), *(FAST_V2 if version == "v2" else ())])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: "), err
    return err[0]


NETWORK_CASES = [
    # (path, fault, what the one line says)
    ("/v2/os", Fault("gzip_bomb", size_bytes=64 << 20), "over the 1 MiB limit"),
    ("/v2/plans", Fault("huge", size_bytes=3 << 20), "over the 1 MiB limit"),
    ("/v2/os", Fault("trickle", delay_s=0.05), "within the 1.5 s request deadline"),
    # status line and headers one byte per 50 ms: ~14 min of headers, no read ever times out
    ("/v2/os", Fault("trickle_headers", delay_s=0.05), "within the 1.5 s request deadline (no complete headers"),
    ("/v2/regions", Fault("hostile_region"), "not a plain identifier: '../../v2/plans'"),
]


@pytest.mark.parametrize("path, fault, says", NETWORK_CASES, ids=[c[1].kind for c in NETWORK_CASES])
def test_hostile_response_is_one_line_exit_1_catalog_unchanged(api, data_dir, bounded_env, capsys, path, fault, says):
    assert collect_cli(api, data_dir) == 0
    before = file_digest(catalog_path(data_dir))
    capsys.readouterr()
    api.set_fault(path, fault)
    if "deadline" not in says:  # a size case must not race the short deadline on a busy host
        bounded_env.setenv("VULTR_CATALOG_REQUEST_DEADLINE", "60s")
    started = time.monotonic()
    assert collect_cli(api, data_dir) == 1
    assert says in one_error_line(capsys)
    assert time.monotonic() - started < 30  # bounded (the trickles alone would take minutes)
    assert file_digest(catalog_path(data_dir)) == before
    lists = {"/v2/regions", "/v2/plans", "/v2/plans-metal", "/v2/os"}
    stray = [r.path for r in api.requests if r.path not in lists and not AVAILABILITY.fullmatch(r.path)]
    assert stray == []  # a hostile region id never made the client fetch outside /regions/<id>/


@pytest.mark.parametrize("kind", ["trickle", "trickle_headers"])
def test_collection_deadline_bounds_the_whole_collection(api, data_dir, bounded_env, capsys, kind):
    assert collect_cli(api, data_dir) == 0
    before = file_digest(catalog_path(data_dir))
    bounded_env.setenv("VULTR_CATALOG_REQUEST_DEADLINE", "10m")
    bounded_env.setenv("VULTR_CATALOG_COLLECTION_DEADLINE", "2s")
    api.set_fault("/v2/os", Fault(kind, delay_s=0.05))
    capsys.readouterr()
    started = time.monotonic()
    assert collect_cli(api, data_dir) == 1
    assert "within the 2 s collection deadline" in one_error_line(capsys)
    assert time.monotonic() - started < 20  # the deadline, not the trickle (minutes), sets the end
    assert file_digest(catalog_path(data_dir)) == before


def webhook_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "alert-webhook" and t.is_alive()]


def test_webhook_that_trickles_its_headers_is_cut_at_the_budget(api, data_dir, tmp_path):
    """The emulator's trickle_headers as a webhook: the POST's status line never completes; the
    delivery gives up at its budget and the watchdog closes the socket, so its thread ends too."""
    api.set_fault("/hook/token", Fault("trickle_headers", delay_s=0.2))
    config = queue_webhook_alert(data_dir, f"{api.base_url}/hook/token", tmp_path)
    started = time.monotonic()
    result = process_alerts(data_dir, config)
    assert time.monotonic() - started < 10  # the headers alone would take about an hour
    assert result.error is None and result.delivered == 0 and result.failed == 1
    wait_for(lambda: not webhook_threads(), 10, "the webhook thread to end (its socket closed at the budget)")
    with store.open_warehouse(data_dir) as con:
        assert con.execute("select last_error from alert_outbox").fetchone()[0] == "no answer within 1 s"
    assert [r.method for r in api.requests] == ["POST"]


@pytest.fixture
def other_origin():
    with FakeVultr().start() as emulator:
        yield emulator


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_keyed_redirect_is_refused_and_the_key_never_leaves(api, other_origin, data_dir, bounded_env, capsys, version):
    bounded_env.setenv("VULTR_API_KEY", KEY)
    first = "/v2/regions" if version == "v2" else "/v1/regions/list"
    api.set_fault(first, Fault("redirect", target=other_origin.base_url))
    assert collect_cli(api, data_dir, version) == 1
    line = one_error_line(capsys)
    assert f"redirect to {other_origin.base_url} refused" in line
    assert other_origin.requests == []


def test_v1_key_header_is_dropped_on_a_cross_origin_redirect(api, other_origin):
    api.set_fault("/v1/os/list", Fault("redirect", target=other_origin.base_url))
    session = new_session(Settings(api_version="v1", base_url=api.base_url + "/v1"))
    response = session.get(api.base_url + "/v1/os/list", headers={"API-Key": KEY}, timeout=5)
    assert response.status_code == 200
    (arrived,) = other_origin.requests
    assert "API-Key" not in arrived.headers and "Authorization" not in arrived.headers


def grep_tree(root: Path) -> list[str]:
    """Every file under root whose bytes hold any form of the key."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {form}" for form in KEY_FORMS if form.encode() in data]
    return hits


@pytest.mark.parametrize("version, path", [("v2", "/v2/plans"), ("v1", "/v1/plans/list")])
def test_an_echoed_key_is_never_stored_printed_logged_or_exported(api, data_dir, tmp_path, bounded_env, capsys,
                                                                  caplog, version, path):
    bounded_env.setenv("VULTR_API_KEY", KEY)
    # about secrets, not time: v1's 2 requests/s leave a 503 retry little room in 1.5 s on a busy host
    bounded_env.setenv("VULTR_CATALOG_REQUEST_DEADLINE", "30s")
    api.set_fault(path, Fault("echo_auth", times=1))
    assert collect_cli(api, data_dir, version) == 1
    line = one_error_line(capsys)
    assert "HTTP 401" in line and "***" in line
    assert collect_cli(api, data_dir, version) == 0  # publishes the failed snapshot's error too
    assert main(["sql", "select error from snapshots where status = 'failed'", "--data-dir", str(data_dir),
                 "--format", "csv"]) == 0
    shown = capsys.readouterr()
    assert "HTTP 401" in shown.out
    for fmt in ("parquet", "csv"):
        assert main(["export", "--out", str(tmp_path / fmt), "--format", fmt, "--data-dir", str(data_dir)]) == 0
    printed = shown.out + shown.err + capsys.readouterr().out + caplog.text
    assert [f for f in KEY_FORMS if f in printed] == []
    assert grep_tree(data_dir) == [] and grep_tree(tmp_path / "parquet") == [] and grep_tree(tmp_path / "csv") == []


def test_migration_scrubs_a_key_stored_by_an_older_version(api, data_dir, bounded_env):
    """What an unscrubbed version left behind (an error text and a failed request's raw body holding
    the key) is scrubbed by the next keyed collection, and so are the catalog and the warehouse."""
    assert collect_cli(api, data_dir) == 0
    echoed = f'{{"error":"invalid Bearer {KEY} ({quote(KEY, safe="")})"}}'.encode()
    with store.open_warehouse(data_dir) as con:
        snapshot_id = store.start_snapshot(con, "v2", api.base_url, datetime.now(UTC), False)
        store.store_calls(con, snapshot_id, [Call("plans", "/plans", {}, 401, echoed, 1.0, datetime.now(UTC))])
        con.execute("update snapshots set status = 'failed', error = ? where snapshot_id = ?",
                    [f"GET /plans: HTTP 401: invalid Bearer {KEY}", snapshot_id])
        con.execute("checkpoint")
    assert grep_tree(data_dir)  # the planted key is really there, as bytes
    bounded_env.setenv("VULTR_API_KEY", KEY)
    api.set_fault("/v2/os", Fault("500"))  # even a failing collection scrubs first
    assert collect_cli(api, data_dir) == 1
    assert grep_tree(data_dir) == []


def test_sql_migration_scrubs_bearer_tokens_without_knowing_the_key(tmp_path):
    import duckdb

    from pipeline.sql import load_sql  # noqa: F401 - the migration is plain SQL, run as migrate() does

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    store.migrate(con)
    con.execute("insert into snapshots (snapshot_id, api_version, base_url, started_at, status, error)"
                " values (1, 'v2', 'x', now(), 'failed', ?)", [f"HTTP 401: 'Bearer {KEY}' (API-Key: {KEY})"])
    con.execute("delete from _migrations where version = '004_scrub_secrets'")
    store.migrate(con)
    (error,) = con.execute("select error from snapshots").fetchone()
    assert KEY not in error and error == "HTTP 401: 'Bearer ***' (API-Key: ***)"


class TrickleHook(BaseHTTPRequestHandler):
    """A webhook that answers one header byte at a time, each gap under the read timeout."""

    def do_POST(self) -> None:  # http.server's naming
        self.rfile.read(int(self.headers["Content-Length"]))
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 10_000:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


class HugeHook(BaseHTTPRequestHandler):
    """A webhook whose 2xx reply is 3 GiB (declared and streamed)."""

    sent = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(3 << 30))
        self.end_headers()
        try:
            for _ in range(3 << 14):
                self.wfile.write(b"x" * 65536)
                HugeHook.sent += 65536
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


def queue_webhook_alert(data_dir: Path, url: str, tmp_path: Path) -> AlertConfig:
    """One pending webhook alert in the outbox (keyed by the URL's hash, as enqueue stores it), and the
    rules that hold its URL, with a 1 s timeout and a 2 s budget."""
    now = datetime.now(UTC)
    with store.open_warehouse(data_dir) as con:
        con.execute("insert into alert_outbox (alert_id, channel, rule_name, snapshot_id, change_key, target,"
                    " payload, created_at, next_attempt_at) values ('a1', 'webhook', 'r', 1, 'k', ?, ?, ?, ?)",
                    [target_key(url), json.dumps({"alert_id": "a1", "text": "t"}), now, now])
    return AlertConfig(tmp_path / "rules.toml", (Rule("r", webhook=url),), Delivery(timeout_s=1.0, budget_s=2.0))


@pytest.mark.parametrize("handler, delivered", [(TrickleHook, 0), (HugeHook, 1)], ids=["trickle", "huge"])
def test_webhook_delivery_has_a_wall_clock_budget_and_a_size_cap(data_dir, tmp_path, handler, delivered):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = queue_webhook_alert(data_dir, f"http://127.0.0.1:{server.server_address[1]}/hook/token", tmp_path)
        started = time.monotonic()
        result = process_alerts(data_dir, config)
        took = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert result.error is None and result.delivered == delivered
    assert took < 10  # the trickle alone would hold it for half an hour
    if handler is TrickleHook:
        wait_for(lambda: not webhook_threads(), 10, "the webhook thread to end")
        with store.open_warehouse(data_dir) as con:
            assert con.execute("select last_error from alert_outbox").fetchone()[0] == "no answer within 1 s"
    else:
        assert HugeHook.sent < 3 << 30
