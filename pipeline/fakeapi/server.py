"""FakeVultr: the emulator object, its dispatch, and the loopback HTTP server around it."""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from . import v1, v2
from .catalogs import DEFAULT_CATALOG, V2Catalog, build_v1, build_v2
from .faults import Fault, FaultTable, TrickleBody, TrickleResponse, render
from .fleet import Fleet
from .limits import SlidingWindow
from .seed_fleet import seed_v1, seed_v2

if TYPE_CHECKING:  # only for annotations: timeline imports catalogs, not the server
    from .timeline import Timeline

logger = logging.getLogger(__name__)

Response = tuple[int, dict[str, str], bytes]
V2_LIMIT_PER_S = 30  # Vultr v2: "more than 30 requests/s per IP may get 429"
V1_LIMIT_PER_S = 2  # Vultr v1: "limited to an average of 2/s", answered with 503
FAKE_NOW_HEADER = "x-fake-now"  # emulator-only: serve the timeline as of this instant
# A front end's request-body cap, answered 413: nginx's default client_max_body_size (1m), the limit a
# request meets in front of an API unless raised (nginx.org/en/docs/http/ngx_http_core_module.html)
MAX_REQUEST_BODY_BYTES = 1 << 20


class RequestRecord(NamedTuple):
    """One served request: the request's own headers, and the status it got."""

    method: str
    path: str
    query: str
    status: int
    headers: dict[str, str]


class RequestLog(list[RequestRecord]):
    """A list of RequestRecord that handler threads append to under a lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, item: RequestRecord) -> None:
        with self._lock:
            self.append(item)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self)


class FakeVultr:
    """An in-process Vultr API (v1 and v2 catalog endpoints) with latency, limits, faults.

    Serves the "2026-07" catalog by default (see catalogs.py for provenance); with a
    ``timeline`` the v2 catalog evolves with ``clock()`` or the ``X-Fake-Now`` header.
    """

    def __init__(
        self,
        latency_ms: float = 0,
        rate_limit: bool = True,
        synthetic_plans: int = 0,
        seed: int = 0,
        timeline: Timeline | None = None,
        clock: Callable[[], datetime] | None = None,
        catalog: str = DEFAULT_CATALOG,
        api_key: str | None = None,
        seed_fleet: bool = False,
        v1_regions: tuple[str, ...] | None = None,
        unlimited: tuple[str, ...] = (),
        boot_reads: int = 1,
    ) -> None:
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.unlimited = unlimited  # API versions served without their rate limit (tests not about pacing)
        self.timeline = timeline
        self.clock = clock
        self.api_key = api_key
        self.boot_reads = boot_reads  # reads after a v2 create that still see the server pending
        self.requests = RequestLog()
        self._v2 = build_v2(catalog, seed=seed, synthetic_plans=synthetic_plans)
        self._v1 = build_v1(seed=seed, dcids=v1_regions)  # v1_regions: only these DCIDs (tests)
        # servers live here, per API version; none unless seeded (the demo's fleet)
        self.fleets = {"v1": Fleet("v1", seed), "v2": Fleet("v2", seed)}
        if seed_fleet:
            now = self.clock() if self.clock else datetime.now(UTC)
            seed_v1(self.fleets["v1"], self._v1, now)
            seed_v2(self.fleets["v2"], self.v2_catalog(), now)
        self._faults = FaultTable()
        self._limits = {"v1": SlidingWindow(V1_LIMIT_PER_S), "v2": SlidingWindow(V2_LIMIT_PER_S)}
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeVultr:
        """Serve on ``host:port`` (0 = a free port) from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeVultr is already started")
        self._stopping.clear()
        server = _Server((host, port), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fakevultr-{self.port}", daemon=True,
        )
        self._thread.start()
        logger.debug("fake Vultr API at %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving; wakes requests sleeping on latency or a slow fault."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeVultr:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeVultr is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeVultr is not started")
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}"

    # -- knobs -------------------------------------------------------------------------
    def set_fault(self, path: str, fault: Fault) -> None:
        """Inject ``fault`` on ``path`` (no query string; ``"*"`` = every path)."""
        self._faults.set(path, fault)

    def launch_regions(self, count: int) -> None:
        """Add ``count`` new regions (``x001`` ...) to the static v2 catalog, with nothing in stock."""
        start = len(self._v2.regions)
        ids = [f"x{start + i:03d}" for i in range(count)]
        new = tuple({"id": region_id, "city": f"City {start + i}", "country": "XX", "continent": "Nowhere", "options": []}
                    for i, region_id in enumerate(ids))
        stock = {**self._v2.in_stock, **{region_id: frozenset[str]() for region_id in ids}}
        self._v2 = dataclasses.replace(self._v2, regions=self._v2.regions + new, in_stock=stock)

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset_rate_limits(self) -> None:
        for window in self._limits.values():
            window.reset()

    # -- dispatch ----------------------------------------------------------------------
    def handle(
        self, method: str, path_with_query: str, headers: dict[str, str] | None = None,
        client: str = "in-process", body: bytes = b"",
    ) -> Response:
        """Answer one request exactly as over HTTP (latency, limits, faults included)."""
        headers = dict(headers or {})
        parts = urlsplit(path_with_query)
        path = parts.path.rstrip("/") or "/"
        version = "v1" if path.startswith("/v1/") else "v2"
        response = self._admit(version, client)
        if response is None:
            self._stopping.wait(max(0.0, float(self.latency_ms)) / 1000.0)
            response = self._answer(method.upper(), path_with_query, headers, version, body)
        self.requests.record(RequestRecord(method.upper(), path, parts.query, response[0], headers))
        return response

    def _admit(self, version: str, client: str) -> Response | None:
        """The rate-limit rejection, or None when the request may proceed."""
        if not self.rate_limit or version in self.unlimited or self._limits[version].allow(client):
            return None
        if version == "v1":
            return v1.rate_limited()
        return v2.error(429, "Rate limit exceeded.", {"Retry-After": "1"})

    def _answer(
        self, method: str, path_with_query: str, headers: dict[str, str], version: str,
        body: bytes = b"",
    ) -> Response:
        parts = urlsplit(path_with_query)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        lower = {k.lower(): v for k, v in headers.items()}
        fault = self._faults.take(path)
        if fault is not None and fault.kind == "slow":
            self._stopping.wait(fault.delay_s)  # then answer normally, too late for the client
            fault = None
        if version == "v1":
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            response = v1.route(method, path, query, lower, self._v1, self.api_key,
                                self.fleets["v1"], form)
        else:
            catalog = lambda: self.v2_catalog(lower.get(FAKE_NOW_HEADER))  # noqa: E731
            response = v2.route(method, path, query, lower, catalog, self.api_key,
                                self.fleets["v2"], body, self.boot_reads)
        return response if fault is None else render(fault, response[2], lower, path_with_query)

    def v2_catalog(self, fake_now: str | None = None) -> V2Catalog:
        """The v2 catalog served now, or at ``fake_now`` (ISO-8601) with a timeline."""
        if self.timeline is None:
            return self._v2
        if fake_now:
            try:
                at = datetime.fromisoformat(fake_now.strip())
            except ValueError:
                raise v2.ApiError(400, "Invalid X-Fake-Now timestamp.") from None
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
        else:
            at = self.clock() if self.clock else datetime.now(UTC)
        return self.timeline.catalog_at(at)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many concurrent test clients; the default 5 can refuse some
    api: FakeVultr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a size cap or a deadline did its job) is not an error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            logger.debug("client %s hung up", client_address)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API, so sessions reuse sockets
    server_version = "FakeVultr/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server: _Server

    def _serve(self) -> None:
        status, headers, body = self._refusal() or self._handled()
        try:
            if isinstance(body, TrickleResponse):
                self._trickle_whole(status, headers, body)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 204:  # a 204 carries no body and no Content-Length (RFC 9110)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self._write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout on a slow fault)

    def _refusal(self) -> Response | None:
        """What a front end answers before the API sees the request: 400 for a Content-Length that is
        no length, 413 past the body cap (the body is not read: the connection closes after)."""
        text = self.headers.get("Content-Length") or "0"
        if not text.isdigit():
            self.close_connection = True
            return v2.error(400, "Invalid Content-Length header.", {"Connection": "close"})
        if int(text) > MAX_REQUEST_BODY_BYTES:
            self.close_connection = True
            return v2.error(413, "Request Entity Too Large", {"Connection": "close"})
        return None

    def _handled(self) -> Response:
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""  # read whole: keep-alive stays usable
        try:
            return self.server.api.handle(self.command, self.path, dict(self.headers.items()),
                                          client=self.client_address[0], body=request_body)
        except RecursionError:  # a JSON body nested past the parser's depth
            return v2.error(400, "Invalid JSON body.")

    def _write(self, body: bytes) -> None:
        if not isinstance(body, TrickleBody):
            self.wfile.write(body)
            return
        self._write_slowly(body, body.delay_s)

    def _write_slowly(self, data: bytes, delay_s: float) -> None:
        for i in range(len(data)):  # one byte per gap: each read succeeds, the whole never ends
            if self.server.api._stopping.wait(delay_s):
                return
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()

    def _trickle_whole(self, status: int, headers: dict[str, str], body: TrickleResponse) -> None:
        """Status line, headers and body, all one byte at a time (trickle_headers)."""
        self.close_connection = True
        lines = [f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}",
                 *(f"{name}: {value}" for name, value in headers.items()), f"Content-Length: {len(body)}"]
        self._write_slowly(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body), body.delay_s)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


def serve_forever(host: str = "127.0.0.1", port: int = 8080, announce: Any = None, **kwargs: Any) -> None:
    """Run the emulator in the foreground until interrupted (CLI ``fake-api``); ``announce(base_url)``
    is called once it listens (the CLI prints it)."""
    api = FakeVultr(**kwargs).start(host=host, port=port)
    if announce is not None:
        announce(api.base_url)
    logger.info("fake Vultr API serving at %s (v2: %s/v2, v1: %s/v1)",
                api.base_url, api.base_url, api.base_url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("fake Vultr API stopping")
    finally:
        api.stop()
