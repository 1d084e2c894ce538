"""Vultr API v1 (retired 2023): objects keyed by id, numbers as strings, 2 requests/s."""
from __future__ import annotations

import time
from functools import partial
from typing import Any

from pipeline.calls import Call
from pipeline.collect.http import HttpClient, parse_json
from pipeline.collect.sources.common import fan_out, log_endpoint
from pipeline.errors import FetchError

# The endpoints, declared once: (name, path, params); `name` is what each call is logged and stored under
# (`_requests.endpoint`), the name the staging models read (tests/test_endpoints.py ties the two).
LISTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("regions", "/regions/list", {}),
    ("plans", "/plans/list", {"type": "all"}),
    ("os", "/os/list", {}),
)
AVAILABILITY: tuple[str, str, dict[str, str]] = ("availability", "/regions/availability", {})  # params: DCID, per region
ENDPOINTS = (*LISTS, AVAILABILITY)


def fetch_all(client: HttpClient) -> list[Call]:
    regions = fetch_list(client, *LISTS[0])
    dcids = list(_keyed_items(regions[0]))
    jobs = [partial(fetch_list, client, *e) for e in LISTS[1:]]
    jobs += [partial(fetch_availability, client, d) for d in dcids]
    return regions + fan_out(client, jobs)


def fetch_stock(client: HttpClient, dcids: list[str]) -> list[Call]:
    """A stock poll: regions/availability for each DCID of the current catalog, nothing else."""
    return fan_out(client, [partial(fetch_availability, client, d) for d in dcids])


def fetch_list(client: HttpClient, name: str, path: str, params: dict[str, str]) -> list[Call]:
    started = time.perf_counter()
    call = client.get(name, path, params)
    log_endpoint(name, [call], len(_keyed_items(call)), started)
    return [call]


def fetch_availability(client: HttpClient, dcid: str) -> list[Call]:
    started = time.perf_counter()
    name, path, params = AVAILABILITY
    call = client.get(name, path, {**params, "DCID": dcid})
    data = parse_json(call, None)
    if not isinstance(data, list):
        raise FetchError(f"GET {call.path}?DCID={dcid}", "expected a JSON array of plan ids")
    log_endpoint(f"{name}/{dcid}", [call], len(data), started)
    return [call]


def _keyed_items(call: Call) -> dict[str, Any]:
    """v1 lists are objects keyed by id; an empty list may come back as [] instead of {}."""
    data = parse_json(call, None)
    if data == []:
        return {}
    if not isinstance(data, dict):
        raise FetchError(f"GET {call.path}", "expected a JSON object keyed by id")
    return data
