"""The HTTP client's contract over loopback: pacing under the limit, pagination guards, the API key."""
from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.collect.http import HttpClient, Pacer, fetch_pages
from pipeline.collect.sources import fetch_catalog
from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fakeapi import FakeVultr


class LoopingPages(BaseHTTPRequestHandler):
    """A broken API whose `next` cursor always points back to the same page."""

    def do_GET(self) -> None:
        body = json.dumps({"plans": [{"id": "x"}], "meta": {"total": 2, "links": {"next": "c2FtZQ==", "prev": ""}}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def looping_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoopingPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2"
    server.shutdown()


def test_repeated_cursor_is_an_error_not_a_loop(looping_server):
    client = HttpClient(Settings(base_url=looping_server, max_retries=0))
    with pytest.raises(FetchError, match="pagination loops"):
        fetch_pages(client, "plans", "/plans", {}, "plans")
    assert len(client.calls) == 2


def test_pacing_never_trips_the_rate_limit():
    """Four fan-out collections back to back at the documented 30 requests/s (148 requests, 8 threads):
    no 429 is ever served. One client, so one pacer: two clients pace independently (a new client's
    first request does not wait for another client's last), which is not what this measures."""
    with FakeVultr().start() as api:
        client = HttpClient(Settings(base_url=api.base_url + "/v2", max_retries=0))
        for _ in range(4):
            fetch_catalog(client)
        statuses = {record[3] for record in api.requests}
    assert len(api.requests) == 4 * 37 and statuses == {200}  # 4 lists + 33 regions' availability each


def test_a_late_start_pushes_the_next_one_back():
    """On a busy host a sleep can overrun: the request after a late start still waits a full interval
    after it (a simulated clock, no wall-clock race)."""
    now = [0.0]
    overruns = iter([0.3, 0.0, 0.0])

    def sleep(seconds: float) -> None:
        now[0] += seconds + next(overruns)

    pacer = Pacer(10, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(4):
        pacer.wait()
        starts.append(now[0])
    assert starts[1] == pytest.approx(pacer.interval_s + 0.3)  # the late one
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= pacer.interval_s - 1e-9, gaps


def test_no_key_no_auth_header_and_v1_key_header():
    with FakeVultr().start() as api:
        fetch_pages(HttpClient(Settings(base_url=api.base_url + "/v2")), "os", "/os", {}, "os")
        v1 = HttpClient(Settings(api_version="v1", base_url=api.base_url + "/v1", api_key="k-123-0123456789AB"))
        v1.get("os", "/os/list")
        headers = [record[4] for record in api.requests]
    assert "Authorization" not in headers[0] and "API-Key" not in headers[0]
    assert headers[1].get("API-Key") == "k-123-0123456789AB" and "Authorization" not in headers[1]
