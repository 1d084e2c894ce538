"""Vultr API v2 (live): cursor-paginated lists plus one availability call per region."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote

from pipeline.calls import Call
from pipeline.collect.http import HttpClient, fetch_pages, parse_json
from pipeline.collect.sources.common import fan_out, log_endpoint
from pipeline.errors import FetchError
from pipeline.safe_text import quoted


@dataclass(frozen=True)
class ListEndpoint:
    name: str
    path: str
    items_key: str
    params: tuple[tuple[str, str], ...] = ()


# The endpoints, declared once: `name` is what each call is logged and stored under (`_requests.endpoint`),
# the name the staging models read (pipeline.warehouse.feeds; tests/test_endpoints.py ties the two).
LISTS = (
    ListEndpoint("regions", "/regions", "regions"),
    ListEndpoint("plans", "/plans", "plans", (("type", "all"),)),
    ListEndpoint("plans_metal", "/plans-metal", "plans_metal"),
    ListEndpoint("os", "/os", "os"),
)
AVAILABILITY = ListEndpoint("availability", "/regions/{region_id}/availability", "available_plans")
ENDPOINTS = (*LISTS, AVAILABILITY)
# Region ids go into a URL path: a plain identifier only (Vultr's are like `ewr`, `sao`), so an id
# such as `../../v2/plans` can never make the client fetch outside /regions/.
REGION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def fetch_all(client: HttpClient) -> list[Call]:
    """Regions first (their ids drive the availability fan-out), then everything else concurrently."""
    regions = fetch_list(client, LISTS[0])
    ids = [item.get("id") if isinstance(item, dict) else None
           for call in regions for item in parse_json(call, LISTS[0].items_key)[LISTS[0].items_key]]
    region_ids = [r for r in ids if isinstance(r, str) and r]
    if len(region_ids) != len(ids):
        raise FetchError("GET /regions", "a region without a string id")
    hostile = [r for r in region_ids if not REGION_ID.fullmatch(r)]
    if hostile:
        raise FetchError("GET /regions", f"a region id that is not a plain identifier: {quoted(hostile[0], 40)}")
    jobs = [partial(fetch_list, client, e) for e in LISTS[1:]]
    jobs += [partial(fetch_availability, client, r) for r in region_ids]
    return regions + fan_out(client, jobs)


def fetch_stock(client: HttpClient, region_ids: list[str]) -> list[Call]:
    """A stock poll: /regions/{id}/availability for each region of the current catalog, nothing else."""
    return fan_out(client, [partial(fetch_availability, client, r) for r in region_ids])


def fetch_list(client: HttpClient, endpoint: ListEndpoint) -> list[Call]:
    started = time.perf_counter()
    pages = fetch_pages(client, endpoint.name, endpoint.path, dict(endpoint.params), endpoint.items_key)
    items = sum(len(parse_json(p, endpoint.items_key)[endpoint.items_key]) for p in pages)
    log_endpoint(endpoint.name, pages, items, started)
    return pages


def fetch_availability(client: HttpClient, region_id: str) -> list[Call]:
    started = time.perf_counter()
    call = client.get(AVAILABILITY.name, AVAILABILITY.path.format(region_id=quote(region_id, safe="")))
    data = parse_json(call, AVAILABILITY.items_key)
    log_endpoint(f"{AVAILABILITY.name}/{region_id}", [call], len(data[AVAILABILITY.items_key]), started)
    return [call]
