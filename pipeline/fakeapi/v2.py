"""The v2 API surface: cursor-paginated catalog lists, availability, JSON errors."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from . import v2_servers
from .catalogs import Item, V2Catalog, dumps, is_of_type
from .fleet import Fleet

Response = tuple[int, dict[str, str], bytes]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
_JSON = {"Content-Type": "application/json"}
_AVAILABILITY = re.compile(r"^/v2/regions/([^/]+)/availability$")
# path -> (items key, accessor); every list endpoint paginates the same way
LISTS: dict[str, tuple[str, Callable[[V2Catalog], tuple[Item, ...]]]] = {
    "/v2/regions": ("regions", lambda c: c.regions),
    "/v2/plans": ("plans", lambda c: c.plans),
    "/v2/plans-metal": ("plans_metal", lambda c: c.plans_metal),
    "/v2/os": ("os", lambda c: c.os),
}
# `type` values the live API accepts on /v2/plans (any type in the served catalog is accepted too)
PLAN_TYPES = frozenset({"all", "vc2", "vhf", "vhp", "vdc", "voc", "voc-g", "voc-c", "voc-m", "voc-s",
                        "vcg", "vx1", "vdm"})
WINDOWS_MIN_RAM_MB = 2048  # `os=windows`: plans that can run Windows (Vultr needs 2 GB for it)
_ACCOUNT = {
    "/v2/account": {"account": {
        "name": "Fake Vultr", "email": "fake@example.com", "acls": ["manage_users"],
        "balance": -5.0, "pending_charges": 0.0, "last_payment_date": "2026-01-01T00:00:00+00:00",
        "last_payment_amount": -5.0}},
}


class ApiError(Exception):
    """A 4xx answer; the message is what the client sees."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str, extra: dict[str, str] | None = None) -> Response:
    """Vultr's JSON error shape: ``{"error": "...", "status": N}``."""
    headers = dict(_JSON, **(extra or {}))
    return status, headers, dumps({"error": message, "status": status})


def is_catalog_path(path: str) -> bool:
    return path in LISTS or _AVAILABILITY.match(path) is not None


def route(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    catalog: Callable[[], V2Catalog],
    api_key: str | None,
    fleet: Fleet | None = None,
    body: bytes = b"",
    boot_reads: int = 1,
) -> Response:
    """Answer one v2 request; ``headers`` have lower-case names, ``body`` is the request body; a server
    created here stays pending for ``boot_reads`` reads."""
    try:
        if path in _ACCOUNT:
            return _account(method, path, headers, api_key)
        if v2_servers.is_account_path(path):
            _check_token(headers, api_key)
            return v2_servers.route(method, path, query, body, catalog, fleet or Fleet("v2"), paginate,
                                    boot_reads)
        if not is_catalog_path(path):
            raise ApiError(404, "Invalid API path.")
        if method not in ("GET", "HEAD"):
            raise ApiError(405, f"Method {method} not allowed.")
        match = _AVAILABILITY.match(path)
        if match:
            return _availability(catalog(), match.group(1), query)
        return _list(catalog(), path, query)
    except (ApiError, v2_servers.Refused) as exc:
        return error(exc.status, str(exc))


def _check_token(headers: dict[str, str], api_key: str | None) -> None:
    auth = headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    if not token or (api_key is not None and token != api_key):
        raise ApiError(401, "Invalid API token.")


def _account(method: str, path: str, headers: dict[str, str], api_key: str | None) -> Response:
    _check_token(headers, api_key)
    if method not in ("GET", "HEAD"):
        raise ApiError(405, f"Method {method} not allowed.")
    return 200, dict(_JSON), dumps(_ACCOUNT[path])


def _list(catalog: V2Catalog, path: str, query: dict[str, str]) -> Response:
    key, accessor = LISTS[path]
    items = list(accessor(catalog))
    if path == "/v2/plans":
        items = _filter_plans(items, query)
    page, links = paginate(items, query)
    body = {key: page, "meta": {"total": len(items), "links": links}}
    return 200, dict(_JSON), dumps(body)


def _filter_plans(items: list[Item], query: dict[str, str]) -> list[Item]:
    """`type` (an unknown one is a 400, like the API) and `os=windows`; other `os` values filter nothing."""
    plan_type = query.get("type", "all") or "all"
    if plan_type not in PLAN_TYPES and plan_type not in {p.get("type") for p in items}:
        raise ApiError(400, f"Invalid plan type: {plan_type}.")
    items = [p for p in items if is_of_type(p, plan_type)]
    if (query.get("os") or "").lower() == "windows":
        items = [p for p in items if int(p.get("ram") or 0) >= WINDOWS_MIN_RAM_MB]
    return items


def _availability(catalog: V2Catalog, region_id: str, query: dict[str, str]) -> Response:
    if region_id not in catalog.region_ids():
        raise ApiError(404, "Invalid region.")
    plan_type = query.get("type", "all") or "all"
    body = {"available_plans": catalog.available_plans(region_id, plan_type)}
    return 200, dict(_JSON), dumps(body)


def per_page_of(query: dict[str, str]) -> int:
    """``per_page`` as Vultr reads it: default 100, above 500 clamped to 500."""
    raw = query.get("per_page", "")
    if raw == "":
        return DEFAULT_PER_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "Invalid per_page value.") from None
    if value < 1:
        raise ApiError(400, "Invalid per_page value.")
    return min(value, MAX_PER_PAGE)


def encode_cursor(direction: str, item_id: object) -> str:
    """Opaque to clients; really base64 of ``next__<id>`` like the recorded pages."""
    return base64.b64encode(f"{direction}__{item_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(cursor, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "Invalid cursor.") from None
    direction, sep, item_id = text.partition("__")
    if not sep or direction not in ("next", "prev"):
        raise ApiError(400, "Invalid cursor.")
    return direction, item_id


def paginate(items: list[Item], query: dict[str, str]) -> tuple[list[Item], dict[str, str]]:
    """One page of ``items`` and its ``links``; raises ApiError(400) on a bad cursor."""
    per_page = per_page_of(query)
    start = 0
    cursor = query.get("cursor", "")
    if cursor:
        direction, item_id = _decode_cursor(cursor)
        ids = [str(item["id"]) for item in items]
        if item_id not in ids:
            raise ApiError(400, "Invalid cursor.")
        index = ids.index(item_id)
        start = index + 1 if direction == "next" else max(0, index - per_page)
    page = items[start : start + per_page]
    has_next = start + len(page) < len(items)
    links = {
        "next": encode_cursor("next", page[-1]["id"]) if page and has_next else "",
        "prev": encode_cursor("prev", page[0]["id"]) if page and start > 0 else "",
    }
    return page, links
