"""Injected failures: the ways a real fetch of a public API goes wrong."""

from __future__ import annotations

import gzip
import io
import json
import threading
from dataclasses import dataclass
from urllib.parse import quote

KINDS = ("500", "502", "503", "504", "429", "truncated", "html", "slow", "missing_key", "empty",
         "gzip_bomb", "huge", "trickle", "trickle_headers", "echo_auth", "redirect", "hostile_region",
         "reprice", "unknown_plan", "null_plan", "duplicate_ids")

_JSON = "application/json"
_REASONS = {
    "500": "Internal Server Error", "502": "Bad Gateway", "503": "Service Unavailable",
    "504": "Gateway Timeout", "429": "Too Many Requests",
}
# What a CDN/proxy in front of an API serves when the origin is sick: 200, but HTML.
_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n"
    b"<body><h1>Checking your browser before accessing api.vultr.com</h1>\n"
    b"<p>This process is automatic. Please allow up to 5 seconds.</p></body></html>\n"
)

Response = tuple[int, dict[str, str], bytes]


@dataclass
class Fault:
    """A failure injected on one path: ``times=None`` forever, else the next N requests."""

    kind: str
    times: int | None = None
    delay_s: float = 5.0  # slow: before answering; trickle, trickle_headers: between bytes
    size_bytes: int = 64 << 20  # gzip_bomb: decompressed size; huge: body size
    target: str = ""  # redirect: the base URL the Location points at; reprice/unknown_plan/duplicate_ids: a plan id
    factor: float = 1.0  # reprice: the plan's prices are multiplied by this

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose one of {KINDS}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be None or >= 0")


class FaultTable:
    """Faults by exact path (no query string); ``"*"`` matches every path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._left: dict[str, int | None] = {}

    def set(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults[path] = fault
            self._left[path] = fault.times

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._left.clear()

    def take(self, path: str) -> Fault | None:
        """The fault to apply to this request, consuming one of its ``times``."""
        with self._lock:
            key = path if path in self._faults else "*" if "*" in self._faults else None
            if key is None:
                return None
            left = self._left[key]
            if left is None:
                return self._faults[key]
            if left <= 0:
                return None
            self._left[key] = left - 1
            return self._faults[key]


class TrickleBody(bytes):
    """A body the server writes one byte at a time, ``delay_s`` apart (each gap under a read timeout)."""

    delay_s: float = 0.5


class TrickleResponse(TrickleBody):
    """A whole response, status line and headers included, written one byte at a time: the client's
    `get()` never even returns (a per-read timeout never fires; only a deadline on the whole helps)."""


HEADER_PADDING = 16 * 1024  # trickle_headers: an X-Padding header this long (under http.client's 64 KiB line cap)


def render(fault: Fault, normal_body: bytes, headers: dict[str, str] | None = None,
           path_with_query: str = "/") -> Response:
    """The response for a fault that replaces the normal one (not ``slow``); ``headers`` are the
    request's, lower-case."""
    kind = fault.kind
    if kind in _HOSTILE:
        return _HOSTILE[kind](fault, normal_body, headers or {}, path_with_query)
    if kind in _REASONS:
        headers = {"Content-Type": _JSON}
        if kind == "429":
            headers["Retry-After"] = "1"
        reason = json.dumps({"error": _REASONS[kind], "status": int(kind)}, separators=(",", ":")).encode()
        return int(kind), headers, reason
    if kind == "truncated":
        return 200, {"Content-Type": _JSON}, normal_body[: max(1, len(normal_body) // 2)]
    if kind == "html":
        return 200, {"Content-Type": "text/html; charset=UTF-8"}, _HTML
    if kind == "missing_key":
        meta = {"total": 0, "links": {"next": "", "prev": ""}}
        envelope = json.dumps({"meta": meta}, separators=(",", ":")).encode()  # no items
        return 200, {"Content-Type": _JSON}, envelope
    if kind == "empty":
        return 200, {"Content-Type": _JSON}, _emptied(normal_body)
    raise ValueError(f"fault {kind!r} does not replace the response")


def _emptied(normal_body: bytes) -> bytes:
    """A well-formed body whose lists are all empty: the glitch a quality gate must catch."""
    try:
        data = json.loads(normal_body)
    except ValueError:
        return normal_body
    if isinstance(data, dict):
        data = {k: ([] if isinstance(v, list) else v) for k, v in data.items()}
        if isinstance(data.get("meta"), dict):
            data["meta"] = {"total": 0, "links": {"next": "", "prev": ""}}
    elif isinstance(data, list):
        data = []
    return json.dumps(data, separators=(",", ":")).encode()


def _gzip_bomb(fault: Fault, _body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """A small gzip body that inflates to ``size_bytes`` of zeros (requests decodes gzip by itself)."""
    buffer = io.BytesIO()
    zeros = b"\0" * (1 << 20)
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as gz:
        for _ in range(max(1, fault.size_bytes >> 20)):
            gz.write(zeros)
    return 200, {"Content-Type": _JSON, "Content-Encoding": "gzip"}, buffer.getvalue()


def _huge(fault: Fault, _body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """A well-formed but enormous JSON body."""
    filler = b" " * max(0, fault.size_bytes - 16)
    return 200, {"Content-Type": _JSON}, b'{"regions": []' + filler + b"}"


def _trickle(fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """The normal body, one byte every ``delay_s``: no single read ever times out."""
    trickled = TrickleBody(body)
    trickled.delay_s = fault.delay_s
    return 200, {"Content-Type": _JSON}, trickled


def _trickle_headers(fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """The normal answer, but the status line and headers come one byte every ``delay_s``, with a
    16 KiB padding header: minutes before the body starts, at any delay a read timeout allows."""
    trickled = TrickleResponse(body)
    trickled.delay_s = fault.delay_s
    return 200, {"Content-Type": _JSON, "X-Padding": "x" * HEADER_PADDING}, trickled


def _echo_auth(_fault: Fault, _body: bytes, headers: dict[str, str], _path: str) -> Response:
    """401 whose error text quotes the credentials it got, raw and URL-encoded (real APIs do this)."""
    sent = headers.get("authorization") or headers.get("api-key") or ""
    token = sent.removeprefix("Bearer ")
    message = f"invalid credentials {sent!r} (API-Key: {token}; key={quote(token, safe='')})"
    body = json.dumps({"error": message, "status": 401}, separators=(",", ":"))
    return 401, {"Content-Type": _JSON}, body.encode()


def _redirect(fault: Fault, _body: bytes, _headers: dict[str, str], path: str) -> Response:
    """302 to the same path on ``target`` (another origin): a client must not send its key there."""
    return 302, {"Location": fault.target.rstrip("/") + path, "Content-Type": _JSON}, b"{}"


def _hostile_region(_fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """The regions list with a region id that climbs out of /regions/ when put in a path."""
    data = json.loads(body)
    for key in ("regions",):
        if isinstance(data, dict) and data.get(key):
            data[key][0]["id"] = "../../v2/plans"
    return 200, {"Content-Type": _JSON}, json.dumps(data, separators=(",", ":")).encode()


def _reprice(fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """The listing with one plan's prices multiplied by ``factor`` (negative, zero, x100 ...)."""
    data = json.loads(body)
    for items in (v for v in data.values() if isinstance(v, list)):
        for item in items:
            if isinstance(item, dict) and item.get("id") == fault.target:
                for key in ("monthly_cost", "hourly_cost"):
                    if key in item:
                        item[key] = round(float(item[key]) * fault.factor, 4)
    return 200, {"Content-Type": _JSON}, json.dumps(data, separators=(",", ":")).encode()


def _unknown_plan(fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """Availability that names a plan the catalog does not list."""
    data = json.loads(body)
    data["available_plans"] = [*data.get("available_plans", []), fault.target]
    return 200, {"Content-Type": _JSON}, json.dumps(data, separators=(",", ":")).encode()


def _null_plan(_fault: Fault, body: bytes, _headers: dict[str, str], _path: str) -> Response:
    """Availability whose list holds a JSON null among the plan ids (names no plan)."""
    data = json.loads(body)
    data["available_plans"] = [*data.get("available_plans", []), None]
    return 200, {"Content-Type": _JSON}, json.dumps(data, separators=(",", ":")).encode()


def _duplicate_ids(fault: Fault, body: bytes, _headers: dict[str, str], path: str) -> Response:
    """On every page after the first (a `cursor` in the query), the page's first item again, under
    the id ``target`` and at a price of 999: an id repeated across pages."""
    data = json.loads(body)
    if "cursor=" in path:
        for items in (v for v in data.values() if isinstance(v, list) and v):
            clone = dict(items[0], id=fault.target, monthly_cost=999)
            items.append(clone)
    return 200, {"Content-Type": _JSON}, json.dumps(data, separators=(",", ":")).encode()


_HOSTILE = {"gzip_bomb": _gzip_bomb, "huge": _huge, "trickle": _trickle,
            "trickle_headers": _trickle_headers, "echo_auth": _echo_auth,
            "redirect": _redirect, "hostile_region": _hostile_region, "reprice": _reprice,
            "unknown_plan": _unknown_plan, "null_plan": _null_plan, "duplicate_ids": _duplicate_ids}
