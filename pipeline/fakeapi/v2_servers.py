"""v2 instances and bare metal: Bearer-authenticated, paginated like the catalog, JSON errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC
from typing import Any

from .catalogs import V2Catalog, dumps
from .fleet import Fleet, Item, Server

Response = tuple[int, dict[str, str], bytes]

_JSON = {"Content-Type": "application/json"}
# collection path -> (items key, single key, is bare metal)
COLLECTIONS = {"/v2/instances": ("instances", "instance", False),
               "/v2/bare-metals": ("bare_metals", "bare_metal", True)}
_ONE = re.compile(r"^(/v2/(?:instances|bare-metals))/([^/]+)$")
# a server still being built has no address yet (Vultr's create-instance example answer, SHAPE-2026.md)
PENDING = {"status": "pending", "main_ip": "0.0.0.0", "netmask_v4": "", "gateway_v4": "0.0.0.0",
           "v6_network": "", "v6_main_ip": "", "v6_network_size": 0, "v6_networks": [],
           "server_status": "none", "internal_ip": "", "kvm": ""}


class Refused(Exception):
    """A 4xx answer with Vultr's JSON error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_account_path(path: str) -> bool:
    return path in COLLECTIONS or _ONE.match(path) is not None


def route(method: str, path: str, query: dict[str, str], body: bytes, catalog: Callable[[], V2Catalog],
          fleet: Fleet, paginate: Callable[[list[Item], dict[str, str]], tuple[list[Item], dict[str, str]]],
          boot_reads: int = 1) -> Response:
    """Answer an authenticated instances / bare-metals call (the caller checked the token); a created
    server stays pending for ``boot_reads`` reads after the create answer."""
    match = _ONE.match(path)
    if match:
        return _one(method, match.group(1), match.group(2), fleet)
    items_key, one_key, bare_metal = COLLECTIONS[path]
    if method in ("GET", "HEAD"):
        servers = [s for s in fleet.all(bare_metal) if _matches(s, query)]
        page, links = paginate([render(s, pending=s.read()) for s in servers], query)
        return 200, dict(_JSON), dumps({items_key: page, "meta": {"total": len(servers), "links": links}})
    if method == "POST":  # 202 Accepted with the server still pending (Vultr's OpenAPI spec, create-instance)
        server = create(_json_body(body), catalog(), fleet, bare_metal, boot_reads)
        return 202, dict(_JSON), dumps({one_key: render(server, with_password=True, pending=True)})
    raise Refused(405, f"Method {method} not allowed.")


def _one(method: str, collection: str, server_id: str, fleet: Fleet) -> Response:
    _, one_key, bare_metal = COLLECTIONS[collection]
    server = fleet.get(server_id)
    if server is None or server.is_bare_metal != bare_metal:
        raise Refused(404, "Instance not found." if not bare_metal else "Bare metal not found.")
    if method in ("GET", "HEAD"):
        return 200, dict(_JSON), dumps({one_key: render(server, pending=server.read())})
    if method == "DELETE":
        fleet.remove(server_id)
        return 204, {}, b""
    raise Refused(405, f"Method {method} not allowed.")


def _matches(server: Server, query: dict[str, str]) -> bool:
    """The list filters: ``tag`` matches any of the server's tags (the spec's list-instances `tag`)."""
    if query.get("tag") and query["tag"] not in server.tags:
        return False
    wanted = {"label": server.label, "region": server.region["id"], "main_ip": server.main_ip}
    return all(query[k] == v for k, v in wanted.items() if query.get(k))


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "Invalid JSON body.") from None
    if not isinstance(data, dict):
        raise Refused(400, "Invalid JSON body.")
    return data


def create(data: dict[str, Any], catalog: V2Catalog, fleet: Fleet, bare_metal: bool, boot_reads: int = 1) -> Server:
    """Validate like the API (region, plan, OS, stock in that region), then add the server."""
    region_id, plan_id = str(data.get("region") or ""), str(data.get("plan") or "")
    regions = {r["id"]: r for r in catalog.regions}
    if region_id not in regions:
        raise Refused(400, "Invalid region.")
    plans = {p["id"]: p for p in (catalog.plans_metal if bare_metal else catalog.plans)}
    if plan_id not in plans:
        raise Refused(400, "Invalid plan.")
    os_item = _os_of(data, catalog)
    if plan_id not in catalog.in_stock.get(region_id, frozenset()):
        raise Refused(400, f"Plan {plan_id} is not available in region {region_id}: "
                           "not offered there or sold out.")
    return fleet.add(str(data.get("label") or ""), regions[region_id], plans[plan_id], os_item,
                     tags=_tags(data), is_bare_metal=bare_metal, pending_reads=boot_reads)


def _tags(data: dict[str, Any]) -> tuple[str, ...]:
    """``tags`` (an array of strings), else the deprecated single ``tag``."""
    raw = data.get("tags")
    if raw is None:
        return (str(data["tag"]),) if data.get("tag") else ()
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise Refused(400, "Invalid tags: an array of strings.")
    return tuple(dict.fromkeys(raw))


def _os_of(data: dict[str, Any], catalog: V2Catalog) -> Item:
    raw = data.get("os_id")
    if raw in (None, ""):
        if any(data.get(k) for k in ("iso_id", "snapshot_id", "app_id", "image_id")):
            return {"id": 159, "name": "Custom", "arch": "x64", "family": "iso"}
        raise Refused(400, "Missing os_id, iso_id, snapshot_id, app_id or image_id.")
    by_id = {str(o["id"]): o for o in catalog.os}
    if str(raw) not in by_id:
        raise Refused(400, "Invalid os_id.")
    return by_id[str(raw)]


def render(server: Server, with_password: bool = False, pending: bool = False) -> Item:
    """The v2 instance (or bare-metal) shape; the password only in the create answer, like Vultr."""
    plan = server.plan
    common: Item = {
        "id": server.server_id, "os": server.os["name"], "main_ip": server.main_ip,
        "region": server.region["id"], "plan": plan["id"],
        "date_created": server.created_at.astimezone(UTC).isoformat(timespec="seconds"),
        "status": "active", "netmask_v4": "255.255.254.0", "gateway_v4": "203.0.113.1",
        "v6_network": server.v6_network, "v6_main_ip": server.v6_main_ip, "v6_network_size": 64,
        "v6_networks": [{"network": server.v6_network, "main_ip": server.v6_main_ip, "network_size": 64}],
        "label": server.label, "tag": server.tag, "tags": list(server.tags),
        "os_id": server.os["id"], "app_id": 0, "image_id": "", "features": [], "user_scheme": "root",
    }
    if server.is_bare_metal:
        common.update({"ram": f"{plan['ram']} MB", "cpu_count": plan.get("cpu_count", 0),
                       "disk": f"{plan.get('disk_count', 1)}x {plan['disk']}GB {plan.get('type', 'SSD')}",
                       "mac_address": 2199756823533 + server.number})
    else:
        common.update({"ram": plan["ram"], "disk": plan["disk"], "vcpu_count": plan["vcpu_count"],
                       "allowed_bandwidth": plan.get("bandwidth", 0), "power_status": "running",
                       "server_status": "ok", "internal_ip": server.internal_ip,
                       "kvm": f"https://my.vultr.com/subs/vps/novnc/api.php?data={server.kvm_token}",
                       "hostname": server.label or "vultr.guest", "firewall_group_id": ""})
    if pending:
        common.update({k: v for k, v in PENDING.items() if k in common})
    if with_password:
        common["default_password"] = server.default_password
    return common


def find_os(catalog: V2Catalog, os_id: int | None = None) -> Item:
    """An OS item for seeds: ``os_id`` when listed, else the first non-Windows x64 Linux."""
    for item in catalog.os:
        if os_id is not None and item["id"] == os_id:
            return item
    return next(o for o in catalog.os if o.get("arch") == "x64" and o.get("family") not in
                ("windows", "iso", "snapshot", "backup", "application"))
