"""The key's servers, read live through the one HTTP client and reduced to plain, secret-free facts.

Account data is read live and never stored: nothing here touches the warehouse, and each server is
reduced at once to plain, secret-free facts (no password, KVM URL, IPs or key) that
`pipeline.queries.fleet` prices against the published catalog.
"""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.collect.http import HttpClient, fetch_pages, parse_json
from pipeline.config import Settings
from pipeline.errors import ConfigError, FetchError

log = logging.getLogger(__name__)

MISSING_KEY = ("VULTR_API_KEY is not set: `fleet` reads your account's servers and needs your API key "
               "(the catalog commands do not)")
_NUMBER = re.compile(r"\d+")
# The v2 server fields `fleet` reads and the JSON types Vultr sends them as (bare metal: RAM "32768 MB",
# disk "2x 240GB SSD"). One missing or sent as another type is schema drift; account data is never
# stored, so drift here is a warning of the fetch, not an api_fields row. It is read all the same
# where it can be (a numeric string as the number).
_SERVER_FIELDS: dict[str, type] = {"id": str, "label": str, "region": str, "plan": str, "date_created": str}
READ_FIELDS: dict[str, dict[str, type]] = {
    "instances": {**_SERVER_FIELDS, "vcpu_count": int, "ram": int, "disk": int},
    "bare_metals": {**_SERVER_FIELDS, "cpu_count": int, "ram": str, "disk": str},
}


def fetch_servers(settings: Settings) -> list[dict[str, Any]]:
    """The account's servers (v2: instances and bare metal; v1: server/list) as plain dicts with
    server_id, label, region_id, plan_id, vcpu_count, ram_mb, disk_gb, is_bare_metal, created_at
    and created_monthly_cost_usd (what v1 says the server costs; None on v2)."""
    if not settings.api_key:
        raise ConfigError(MISSING_KEY)
    client = HttpClient(settings)
    try:
        servers = _fetch_v1(client) if settings.api_version == "v1" else _fetch_v2(client)
    finally:
        client.calls.clear()  # the bodies hold passwords and KVM URLs: drop them now
        client.close()
    log.info("fleet: %d servers (%s)", len(servers), settings.api_version)
    return servers


def _fetch_v2(client: HttpClient) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    drift: set[str] = set()
    for endpoint, path, key in (("instances", "/instances", "instances"),
                                ("bare_metals", "/bare-metals", "bare_metals")):
        for call in fetch_pages(client, endpoint, path, {}, key):
            items = parse_json(call, key)[key]
            drift |= server_drift(key, items)
            servers += [_from_v2(item, key == "bare_metals") for item in items]
    if drift:
        log.warning("fleet: server fields drifted (read where they can be): %s", "; ".join(sorted(drift)))
    return servers


def server_drift(key: str, items: list[dict[str, Any]]) -> set[str]:
    """The fields `fleet` reads that an answer of `key` (instances, bare_metals) lacks or sends as
    another JSON type: `instances.vcpu_count sent as str`, `bare_metals.ram missing`."""
    drift: set[str] = set()
    for item in items:
        for name, kind in READ_FIELDS[key].items():
            value = item.get(name)
            if value is None:
                drift.add(f"{key}.{name} missing")
            elif not isinstance(value, kind) or isinstance(value, bool):
                drift.add(f"{key}.{name} sent as {type(value).__name__}")
    return drift


def _from_v2(item: dict[str, Any], is_bare_metal: bool) -> dict[str, Any]:
    return {
        "server_id": str(item.get("id", "")), "label": str(item.get("label") or ""),
        "region_id": str(item.get("region") or ""), "plan_id": str(item.get("plan") or ""),
        "vcpu_count": _int(item.get("cpu_count" if is_bare_metal else "vcpu_count")),
        "ram_mb": _int(item.get("ram")), "disk_gb": _disk_gb(item.get("disk"), is_bare_metal),
        "is_bare_metal": is_bare_metal, "created_at": _timestamp(item.get("date_created")),
        "created_monthly_cost_usd": None,
    }


def _fetch_v1(client: HttpClient) -> list[dict[str, Any]]:
    regions = parse_json(client.get("regions", "/regions/list"), None)
    codes = {str(dcid): _v1_region_id(region) for dcid, region in _entries(regions)}
    servers = parse_json(client.get("servers", "/server/list"), None)
    return [_from_v1(item, codes) for _, item in _entries(servers)]


def _from_v1(item: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
    dcid = str(item.get("DCID", ""))
    return {
        "server_id": str(item.get("SUBID", "")), "label": str(item.get("label") or ""),
        "region_id": codes.get(dcid, dcid), "plan_id": str(item.get("VPSPLANID", "")),
        "vcpu_count": _int(item.get("vcpu_count")), "ram_mb": _int(item.get("ram")),
        "disk_gb": _disk_gb(item.get("disk"), False), "is_bare_metal": False,
        "created_at": _timestamp(item.get("date_created")),
        "created_monthly_cost_usd": _decimal(item.get("cost_per_month")),
    }


def _entries(data: Any) -> list[tuple[str, dict[str, Any]]]:
    """v1 lists are objects keyed by id, and an empty one comes back as []."""
    if isinstance(data, dict):
        return [(str(k), v) for k, v in data.items() if isinstance(v, dict)]
    if data == []:
        return []
    raise FetchError("GET /server/list", "expected a JSON object keyed by id")


def _v1_region_id(region: dict[str, Any]) -> str:
    """The catalog's v1 region id: the lower-cased regioncode, the DCID when there is none."""
    return str(region.get("regioncode") or "").lower() or str(region.get("DCID", ""))


def _int(value: Any) -> int | None:
    """1024, "1024" and "1024 MB" all give 1024."""
    match = _NUMBER.search(str(value)) if value is not None else None
    return int(match.group()) if match else None


def _disk_gb(value: Any, is_bare_metal: bool) -> int | None:
    """v1 "Virtual 25 GB" -> 25; v2 25 -> 25; bare metal "2x 240GB SSD" -> 240 (per disk, like the
    catalog's disk_gb)."""
    text = str(value) if value is not None else ""
    if is_bare_metal and "x" in text:
        text = text.split("x", 1)[1]
    return _int(text)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _timestamp(value: Any) -> datetime | None:
    """v2 ISO-8601 with offset; v1 "2013-12-19 14:45:41" (UTC)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
