"""The one HTTP client: timeouts, urllib3 Retry with backoff and jitter, even pacing, v2 pagination.

Every call is recorded (endpoint, params, status, body, elapsed) so the warehouse can keep it raw.
Sources know nothing of DuckDB; this module knows nothing of Vultr's endpoints.
"""
from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3 import BaseHTTPResponse
from urllib3.util.retry import Retry

from pipeline.calls import Call
from pipeline.collect.watchdog import DeadlinePassed, Watchdog, WatchedAdapter, start_clock
from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.safe_text import shown
from pipeline.secrets import scrub, scrub_bytes

log = logging.getLogger(__name__)
RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = "vultr-catalog/0.1 (+https://github.com/vultr-catalog)"
READ_CHUNK = 64 * 1024
MAX_REDIRECTS = 5


class Pacer:
    """Even pacing: request starts are at least 1/rate apart, across threads (no bursts)."""

    # A 5% margin (plus 2 ms) absorbs scheduling jitter, so arrivals never beat the server's window.
    def __init__(self, requests_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval_s = 1.05 / requests_per_second + 0.002
        self._next_at = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start_at = max(now, self._next_at)
            self._next_at = start_at + self.interval_s
        if start_at > now:
            self._sleep(start_at - now)
            # A sleep that overran (a busy host) starts this request late: the next one keeps a full
            # interval after it, or the two would arrive closer together than the rate allows.
            with self._lock:
                late = self._clock() - start_at
                if late > 0:
                    self._next_at += late


class KeySafeSession(requests.Session):
    """requests strips `Authorization` on a redirect to another host, but not v1's `API-Key`: strip it
    too. (Keyed calls refuse redirects anyway; this guards anyone who reuses the session.)"""

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        old_url, new_url = response.request.url, prepared_request.url
        if "API-Key" in prepared_request.headers and (
                old_url is None or new_url is None or self.should_strip_auth(old_url, new_url)):
            del prepared_request.headers["API-Key"]


def new_session(settings: Settings) -> requests.Session:
    """A session with the retry policy mounted, a connection pool as large as the fan-out, and
    connections a Watchdog can cut at a request's deadline."""
    session = KeySafeSession()
    session.max_redirects = MAX_REDIRECTS
    adapter = WatchedAdapter(max_retries=build_retry(settings), pool_maxsize=max(settings.concurrency, 1))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    return session


class PacedRetry(Retry):
    """urllib3 Retry whose retries also take a pacer slot: without it the first retry is immediate
    and a burst of retries trips the very rate limit (v1 answers 503 above 2 requests/s)."""

    pacer: Pacer | None = None

    def new(self, **kwargs: object) -> PacedRetry:
        retry = super().new(**kwargs)
        retry.pacer = self.pacer
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        super().sleep(response)
        if self.pacer is not None:
            self.pacer.wait()


def build_retry(settings: Settings) -> Retry:
    return PacedRetry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods={"GET"},
        backoff_factor=settings.backoff_factor_s,
        backoff_jitter=settings.backoff_factor_s / 2,
        respect_retry_after_header=True,
        retry_after_max=settings.retry_after_max_s,  # type: ignore[arg-type]  # annotated int, used as a number
        raise_on_status=False,
    )


@dataclass
class HttpClient:
    settings: Settings
    extra_headers: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    session: requests.Session | None = None  # pass one to reuse connections across collections

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.settings.requests_per_second)
        self.http = self.session if self.session is not None else new_session(self.settings)
        for adapter in self.http.adapters.values():  # retries wait for this client's pacer too
            retry = getattr(adapter, "max_retries", None)
            if isinstance(retry, PacedRetry):
                retry.pacer = self.pacer
        self._calls_lock = threading.Lock()
        self.collection_deadline = time.monotonic() + self.settings.collection_deadline_s
        start_clock()

    def close(self) -> None:
        self.http.close()

    def get(self, endpoint: str, path: str, params: dict[str, str] | None = None) -> Call:
        """GET base_url + path once (urllib3 retries inside); raise FetchError unless 200. Bounded:
        the body is streamed with a size cap (compressed and decoded), and a watchdog holds the
        wall-clock deadline from connect to the last body byte (headers trickled byte by byte too)."""
        params, where = dict(params or {}), f"GET {path}"
        if time.monotonic() > self.collection_deadline:
            raise FetchError(where, f"the collection deadline of {self.settings.collection_deadline_s:g} s "
                                    "passed (VULTR_CATALOG_COLLECTION_DEADLINE)")
        self.pacer.wait()
        started = time.perf_counter()
        requested_at = datetime.now(UTC)
        own_deadline = time.monotonic() + self.settings.request_deadline_s
        deadline = min(own_deadline, self.collection_deadline)
        which = (f"{self.settings.request_deadline_s:g} s request deadline" if own_deadline <= self.collection_deadline
                 else f"{self.settings.collection_deadline_s:g} s collection deadline")
        try:
            with Watchdog(deadline):
                response, body = self._fetch(path, params, deadline, where, which)
        except DeadlinePassed:
            raise FetchError(where, f"no complete response within the {which} (no complete headers: "
                                    "the watchdog closed the connection)") from None
        call = Call(endpoint, path, params, response.status_code, body,
                    (time.perf_counter() - started) * 1000, requested_at,
                    response.headers.get("Content-Type", ""))
        with self._calls_lock:
            self.calls.append(call)
        if response.status_code != 200:
            raise FetchError(where, scrub(_describe_status(call)))
        return call

    def _fetch(self, path: str, params: dict[str, str], deadline: float, where: str,
               which: str) -> tuple[requests.Response, bytes]:
        keyed = bool(self.settings.api_key)
        try:
            response = self.http.get(
                self.settings.base_url + path, params=params, headers=self._auth_headers(),
                timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
                stream=True, allow_redirects=not keyed,  # a key is never sent to where a redirect points
            )
        except (requests.RequestException, ValueError) as exc:
            raise FetchError(where, scrub(_describe_exception(exc))) from None
        with response:
            if keyed and response.is_redirect:
                raise FetchError(where, f"HTTP {response.status_code}: redirect to "
                                        f"{_origin(response.headers.get('Location', ''))} refused: "
                                        "the API key is never sent on a redirect")
            return response, scrub_bytes(read_capped(response, self.settings.max_response_bytes, deadline,
                                                     where, which))

    def _auth_headers(self) -> dict[str, str]:
        """Per-request headers: the extra ones (the emulator's X-Fake-Now) and the key, only when set."""
        key = self.settings.api_key
        if not key:
            return dict(self.extra_headers)
        if self.settings.api_version == "v1":
            return {**self.extra_headers, "API-Key": key}
        return {**self.extra_headers, "Authorization": f"Bearer {key}"}


def parse_json(call: Call, items_key: str | None) -> Any:
    """Parse a body the way the API returns it, or raise FetchError naming what is wrong."""
    where = f"GET {call.path}"
    if "html" in call.content_type.lower() or call.body.lstrip()[:1] == b"<":
        raise FetchError(where, f"expected JSON, got an HTML page ({len(call.body)} bytes)")
    try:
        data = json.loads(call.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(where, f"body is not valid JSON ({len(call.body)} bytes, truncated?): {exc}") from None
    if items_key is not None and (not isinstance(data, dict) or items_key not in data):
        raise FetchError(where, f"body has no {items_key!r} key")
    if items_key is not None and not isinstance(data[items_key], list):  # `plans: null` is no empty list
        raise FetchError(where, f"field `{items_key}` is not a list (sent {shown(json.dumps(data[items_key]), 60)})")
    return data


def fetch_pages(client: HttpClient, endpoint: str, path: str, params: dict[str, str],
                items_key: str) -> list[Call]:
    """Follow v2 cursor pagination (meta.links.next) until it is empty; guard against loops."""
    pages: list[Call] = []
    seen_cursors: set[str] = set()
    cursor = ""
    while True:
        page_params = {**params, "per_page": str(client.settings.per_page)}
        if cursor:
            page_params["cursor"] = cursor
        call = client.get(endpoint, path, page_params)
        data = parse_json(call, items_key)
        pages.append(call)
        cursor = _next_cursor(data)
        if not cursor:
            return pages
        if cursor in seen_cursors:
            raise FetchError(f"GET {path}", f"pagination loops: cursor {cursor!r} came back twice")
        if len(pages) >= client.settings.max_pages:
            raise FetchError(f"GET {path}", f"more than {client.settings.max_pages} pages; giving up")
        seen_cursors.add(cursor)


def _next_cursor(data: dict[str, Any]) -> str:
    meta = data.get("meta") or {}
    links = meta.get("links") or {}
    return str(links.get("next") or "")


def _describe_status(call: Call) -> str:
    text = call.body.decode("utf-8", "replace").strip().replace("\n", " ")
    if call.content_type.startswith("application/json"):
        with contextlib.suppress(ValueError, AttributeError):
            text = str(json.loads(call.body).get("error", text))
    retried = " after retries" if call.status in RETRY_STATUSES else ""
    return f"HTTP {call.status}{retried}: {text[:200]}"


def read_capped(response: requests.Response, max_bytes: int, deadline: float, where: str,
                which: str) -> bytes:
    """The decoded body, read in bounded steps (read1 returns what one socket read gave, so a
    trickle still comes back to this loop); FetchError past max_bytes (compressed or decoded, so
    no gzip bomb) or past the deadline (a watchdog that closed the socket mid-body included)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(where, f"response of {int(declared):,} bytes is over the {_mib(max_bytes)} limit")
    chunks, size, raw = [], 0, response.raw
    try:
        while chunk := raw.read1(READ_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes or raw.tell() > max_bytes:
                raise FetchError(where, f"response over the {_mib(max_bytes)} limit (decoded or compressed); "
                                        "refusing to read more")
            if time.monotonic() > deadline:
                raise FetchError(where, f"no complete response within the {which} "
                                        f"({size:,} bytes so far)")
            chunks.append(chunk)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        if time.monotonic() >= deadline:
            raise FetchError(where, f"no complete response within the {which} ({size:,} bytes so far)") from None
        raise FetchError(where, scrub(f"reading the body failed: {type(exc).__name__}: {str(exc)[:150]}")) from None
    if time.monotonic() >= deadline:  # the watchdog shut the socket: that end of the body is not the real one
        raise FetchError(where, f"no complete response within the {which} ({size:,} bytes so far)")
    return b"".join(chunks)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "a relative URL"


# What a failed request says, in words: requests' exception classes are not for people.
_IN_WORDS = ((requests.exceptions.ChunkedEncodingError, "the answer broke off before its end"),
             (requests.exceptions.ContentDecodingError, "the answer could not be decoded"),
             (requests.exceptions.TooManyRedirects, "too many redirects"),
             (requests.exceptions.InvalidURL, "not a valid URL"))
# urllib3's connection in its messages: `WatchedHTTPConnection(host='x', port=80): `, `<... object at 0x..>: `
_CONNECTION_REPR = re.compile(r"<?\b[\w.]*Connection\w*(\([^)]*\))?( object)?( at 0x[0-9a-f]+)?>?(: |, )")


def _describe_exception(exc: requests.RequestException | ValueError) -> str:
    text = _one_line(str(exc))
    if "Read timed out" in text or "ReadTimeoutError" in text:
        return "read timed out (after retries)"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed (after retries): {_root_cause(exc)}"
    words = next((said for kind, said in _IN_WORDS if isinstance(exc, kind)), None)
    return words or (f"the request failed: {_CONNECTION_REPR.sub('', text)}" if text else "the request failed")


def _root_cause(exc: BaseException) -> str:
    """The innermost reason urllib3 gives (`[Errno 111] Connection refused`), whole, on one line:
    `Max retries exceeded ... (Caused by NewConnectionError(...))` is a nest of reprs, and its
    messages start with the connection object (no class name reaches the user)."""
    reason: object = exc.args[0] if exc.args else exc
    while (inner := getattr(reason, "reason", None)) is not None:  # MaxRetryError -> NewConnectionError
        reason = inner
    said = [arg for arg in getattr(reason, "args", ()) if isinstance(arg, str)]
    text = _one_line(said[-1] if said else str(reason))
    text = _CONNECTION_REPR.sub("", text).strip()
    return text or "no reason given"


def _one_line(text: str) -> str:
    return " ".join(text.split())
