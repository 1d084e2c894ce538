"""The HTTP client's contract over loopback: pacing under the limit, pagination guards, the API key."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fakeapi import FakeVultr
from pipeline.collect.http import HttpClient, fetch_pages
from pipeline.collect.sources import fetch_catalog


class LoopingPages(BaseHTTPRequestHandler):
    """A broken API whose `next` cursor always points back to the same page."""

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
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
    """Four fan-out collections back to back at the documented 30 requests/s: no 429 is ever served."""
    with FakeVultr().start() as api:
        for _ in range(4):
            client = HttpClient(Settings(base_url=api.base_url + "/v2", max_retries=0))
            fetch_catalog(client)
        statuses = {record[3] for record in api.requests}
    assert statuses == {200}


def test_no_key_no_auth_header_and_v1_key_header():
    with FakeVultr().start() as api:
        fetch_pages(HttpClient(Settings(base_url=api.base_url + "/v2")), "os", "/os", {}, "os")
        v1 = HttpClient(Settings(api_version="v1", base_url=api.base_url + "/v1", api_key="k-123"))
        v1.get("os", "/os/list")
        headers = [record[4] for record in api.requests]
    assert "Authorization" not in headers[0] and "API-Key" not in headers[0]
    assert headers[1].get("API-Key") == "k-123" and "Authorization" not in headers[1]
