"""Injected failures: the ways a real fetch of a public API goes wrong."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Optional

KINDS = ("500", "502", "503", "504", "429", "truncated", "html", "slow", "missing_key", "empty")

_JSON = "application/json"
_REASONS = {
    "500": "Internal Server Error", "502": "Bad Gateway", "503": "Service Unavailable",
    "504": "Gateway Timeout", "429": "Too Many Requests",
}
# What a CDN/proxy in front of an API serves when the origin is sick: 200, but HTML.
_HTML = (
    "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n"
    "<body><h1>Checking your browser before accessing api.vultr.com</h1>\n"
    "<p>This process is automatic. Please allow up to 5 seconds.</p></body></html>\n"
).encode("utf-8")

Response = tuple[int, dict[str, str], bytes]


@dataclass
class Fault:
    """A failure injected on one path: ``times=None`` forever, else the next N requests."""

    kind: str
    times: Optional[int] = None
    delay_s: float = 5.0

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
        self._left: dict[str, Optional[int]] = {}

    def set(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults[path] = fault
            self._left[path] = fault.times

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._left.clear()

    def take(self, path: str) -> Optional[Fault]:
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


def render(fault: Fault, normal_body: bytes) -> Response:
    """The response for a fault that replaces the normal one (not ``slow``)."""
    kind = fault.kind
    if kind in _REASONS:
        headers = {"Content-Type": _JSON}
        if kind == "429":
            headers["Retry-After"] = "1"
        body = json.dumps({"error": _REASONS[kind], "status": int(kind)}, separators=(",", ":"))
        return int(kind), headers, body.encode()
    if kind == "truncated":
        body = normal_body[: max(1, len(normal_body) // 2)]
        return 200, {"Content-Type": _JSON}, body
    if kind == "html":
        return 200, {"Content-Type": "text/html; charset=UTF-8"}, _HTML
    if kind == "missing_key":
        meta = {"total": 0, "links": {"next": "", "prev": ""}}
        body = json.dumps({"meta": meta}, separators=(",", ":")).encode()  # envelope, no items
        return 200, {"Content-Type": _JSON}, body
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
