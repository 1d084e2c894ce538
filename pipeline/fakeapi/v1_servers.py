"""v1 server/create, server/list, server/destroy: the brief's fields, codes and plain-text errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from .catalogs import V1Catalog
from .fleet import Fleet, Item, Server

Response = tuple[int, dict[str, str], bytes]
TextError = Callable[[int, str | None], Response]

PATHS = ("/v1/server/create", "/v1/server/list", "/v1/server/destroy")
_METHODS = {"/v1/server/create": "POST", "/v1/server/list": "GET", "/v1/server/destroy": "POST"}
_JSON = {"Content-Type": "application/json"}
NOT_AVAILABLE = ("Plan is not available in the selected datacenter.  This could mean you have chosen "
                 "the wrong plan (for example, a storage plan in a location that does not offer them), "
                 "or the location you have selected does not have any more capacity.")
_INVALID_SERVER = "Invalid server.  Check SUBID value and ensure your API key matches the server's account"


def route(method: str, path: str, params: dict[str, str], catalog: V1Catalog, fleet: Fleet,
          text_error: TextError) -> Response:
    """Answer an authenticated v1 server call; ``params`` merges the query and the form body."""
    wanted = _METHODS[path]
    if method != wanted and not (wanted == "GET" and method == "HEAD"):
        return text_error(405, None)
    if path == "/v1/server/create":
        return _create(params, catalog, fleet, text_error)
    if path == "/v1/server/destroy":
        if not fleet.remove(params.get("SUBID", "").strip()):
            return text_error(412, _INVALID_SERVER)
        return 200, {"Content-Type": "text/html; charset=UTF-8"}, b""
    return _list(params, fleet, text_error)


def _create(params: dict[str, str], catalog: V1Catalog, fleet: Fleet, text_error: TextError) -> Response:
    dcid, plan_id, os_id = (params.get(k, "").strip() for k in ("DCID", "VPSPLANID", "OSID"))
    if dcid not in catalog.availability:
        return text_error(412, "Invalid DCID")
    plan = catalog.plans.get(plan_id)
    if plan is None:
        return text_error(412, "Invalid plan ID")
    os_item = catalog_os(catalog).get(os_id)
    if os_item is None:
        return text_error(412, "Invalid operating system ID")
    if int(plan_id) not in catalog.availability[dcid]:  # not offered there, or sold out
        return text_error(412, NOT_AVAILABLE)
    region = catalog_regions(catalog)[dcid]
    server = fleet.add(params.get("label", ""), region, plan, os_item, tags=(params["tag"],) if params.get("tag") else ())
    return 200, dict(_JSON), json.dumps({"SUBID": server.server_id}).encode()


def _list(params: dict[str, str], fleet: Fleet, text_error: TextError) -> Response:
    subid = params.get("SUBID", "").strip()
    if subid:
        server = fleet.get(subid)
        if server is None:
            return text_error(412, _INVALID_SERVER)
        return 200, dict(_JSON), json.dumps(render(server)).encode()
    servers = [s for s in fleet.all() if _matches(s, params)]
    if not servers:  # v1 sends an empty "object" as [] (observed)
        return 200, dict(_JSON), b"[]"
    return 200, dict(_JSON), json.dumps({s.server_id: render(s) for s in servers}).encode()


def _matches(server: Server, params: dict[str, str]) -> bool:
    return (params.get("tag") in (None, server.tag)) and (params.get("label") in (None, server.label))


def catalog_os(catalog: V1Catalog) -> dict[str, Item]:
    return json.loads(catalog.os_body)


def catalog_regions(catalog: V1Catalog) -> dict[str, Item]:
    return json.loads(catalog.regions_body)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def pending_charges(server: Server, now: datetime | None = None) -> str:
    """Hours used so far at the hourly rate (monthly / 672 h), capped at the monthly price."""
    monthly = Decimal(str(server.plan.get("price_per_month", "0")))
    hours = max(0, int(((now or datetime.now(UTC)) - server.created_at).total_seconds() // 3600))
    return _money(min(monthly, monthly / 672 * hours))


def render(server: Server) -> Item:
    """One server in the v1 shape: every value a string, as the brief shows."""
    plan, region = server.plan, server.region
    return {
        "SUBID": server.server_id, "os": server.os["name"], "ram": f"{plan['ram']} MB",
        "disk": f"Virtual {plan['disk']} GB", "main_ip": server.main_ip,
        "vcpu_count": str(plan["vcpu_count"]), "location": region["name"], "DCID": str(region["DCID"]),
        "default_password": server.default_password,
        "date_created": server.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "pending_charges": pending_charges(server), "status": "active",
        "cost_per_month": str(plan["price_per_month"]), "current_bandwidth_gb": 0,
        "allowed_bandwidth_gb": str(plan.get("bandwidth_gb", "0")), "netmask_v4": "255.255.255.0",
        "gateway_v4": "203.0.113.1", "power_status": "running", "server_state": "ok",
        "VPSPLANID": str(plan["VPSPLANID"]), "v6_main_ip": server.v6_main_ip,
        "v6_network_size": "64", "v6_network": server.v6_network,
        "v6_networks": [{"v6_network": server.v6_network, "v6_main_ip": server.v6_main_ip,
                         "v6_network_size": "64"}],
        "label": server.label, "internal_ip": server.internal_ip,
        "kvm_url": f"https://my.vultr.com/subs/novnc/api.php?data={server.kvm_token}",
        "auto_backups": "no", "tag": server.tag, "OSID": str(server.os["OSID"]), "APPID": "0",
        "FIREWALLGROUPID": "0",
    }
