"""The retired v1 API surface: objects keyed by id strings, plain-text errors.

Status codes and error texts follow the v1 documentation: 400 bad path, 403 bad key,
405 wrong method, 412 bad parameters, 500, 503 rate limit (2 requests/s).
"""

from __future__ import annotations

import json

from . import v1_servers
from .catalogs import V1Catalog, v1_rate_limit_body
from .fleet import Fleet

Response = tuple[int, dict[str, str], bytes]

_JSON = {"Content-Type": "application/json"}
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
MESSAGES = {
    400: "Invalid API location. Check the URL that you are using.",
    403: "Invalid or missing API key. Check that your API key is present and matches "
         "your assigned key.",
    405: "Invalid HTTP method. Check that the method (POST|GET) matches what the "
         "documentation indicates.",
    500: "Internal server error. Try again at a later time.",
}
# v1 `type` values -> recorded plan_type; anything else is ignored (all plans)
_PLAN_TYPES = {
    "vc2": {"SSD"}, "ssd": {"SSD"}, "vhf": {"HIGHFREQUENCY"}, "highfrequency": {"HIGHFREQUENCY"},
    "vc2z": {"HIGHFREQUENCY"},  # the brief's name for high-frequency compute
    "vdc2": {"DEDICATED"}, "vdc": {"DEDICATED"}, "dedicated": {"DEDICATED"},
}
_AVAILABILITY = {
    "/v1/regions/availability": None,
    "/v1/regions/availability_vc2": {"SSD"},
    "/v1/regions/availability_vdc2": {"DEDICATED"},
}
_ACCOUNT = {"/v1/account/info": {
    "balance": "-5519.11", "pending_charges": "57.03",
    "last_payment_date": "2020-10-10 01:04:15", "last_payment_amount": "-1.00"}}
_LISTS = ("/v1/regions/list", "/v1/plans/list", "/v1/os/list")
# the brief's per-type plan lists: the same plans without available_locations and windows
_PLAN_LISTS = {"/v1/plans/list_vc2": {"SSD"}, "/v1/plans/list_vc2z": {"HIGHFREQUENCY"},
               "/v1/plans/list_vdc2": {"DEDICATED"}}


def text_error(status: int, message: str | None = None) -> Response:
    body = (message if message is not None else MESSAGES.get(status, "Request failed."))
    return status, dict(_TEXT), body.encode("utf-8")


def rate_limited() -> Response:
    """HTTP 503 with the recorded body, byte for byte."""
    return 503, dict(_TEXT), v1_rate_limit_body()


def is_known_path(path: str) -> bool:
    return (path in _LISTS or path in _PLAN_LISTS or path in _AVAILABILITY or path in _ACCOUNT
            or path in v1_servers.PATHS)


def route(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    catalog: V1Catalog,
    api_key: str | None,
    fleet: Fleet | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """Answer one v1 request; ``headers`` have lower-case names, ``form`` is a POST's body."""
    if not is_known_path(path):
        return text_error(400)
    if path in _ACCOUNT or path in v1_servers.PATHS:
        # v1 clients sent the key as the API-Key header or the api_key query parameter
        key = headers.get("api-key", "") or query.get("api_key", "")
        if not key or (api_key is not None and key != api_key):
            return text_error(403)
    if path in v1_servers.PATHS:
        params = {**query, **(form or {})}
        return v1_servers.route(method, path, params, catalog, fleet or Fleet("v1"), text_error)
    if method not in ("GET", "HEAD"):
        return text_error(405)
    if path in _ACCOUNT:
        return 200, dict(_JSON), json.dumps(_ACCOUNT[path]).encode()
    if path in _AVAILABILITY:
        return _availability(catalog, query, _AVAILABILITY[path])
    if path == "/v1/plans/list":
        return _plans(catalog, query.get("type", "all").lower())
    if path in _PLAN_LISTS:
        return _typed_plans(catalog, _PLAN_LISTS[path])
    body = catalog.regions_body if path == "/v1/regions/list" else catalog.os_body
    return 200, dict(_JSON), body


def _plans(catalog: V1Catalog, plan_type: str) -> Response:
    wanted = _PLAN_TYPES.get(plan_type)
    if wanted is None:  # "all" and unknown types: the recorded bytes verbatim
        return 200, dict(_JSON), catalog.plans_body
    subset = catalog.plans_of_type(wanted)
    # v1 sends an empty "object" as [] (observed); otherwise jq-style indentation like the file
    body = json.dumps(subset, indent=2, ensure_ascii=False) if subset else "[]"
    return 200, dict(_JSON), body.encode("utf-8")


def _typed_plans(catalog: V1Catalog, plan_types: set[str]) -> Response:
    subset = {k: {f: v for f, v in plan.items() if f not in ("available_locations", "windows")}
              for k, plan in catalog.plans_of_type(plan_types).items()}
    body = json.dumps(subset, indent=2, ensure_ascii=False) if subset else "[]"
    return 200, dict(_JSON), body.encode("utf-8")


def _availability(catalog: V1Catalog, query: dict[str, str], types: set[str] | None) -> Response:
    dcid = query.get("DCID", "").strip()
    if dcid not in catalog.availability:
        return text_error(412, "Invalid DCID")
    ids = catalog.availability[dcid]
    if types is not None:
        ids = [i for i in ids if catalog.plans[str(i)].get("plan_type") in types]
    return 200, dict(_JSON), json.dumps(ids).encode()
