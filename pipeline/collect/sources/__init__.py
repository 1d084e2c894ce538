"""Sources: each API version declares its endpoints as data and fetches them through the one client."""
from __future__ import annotations

from pipeline.calls import Call
from pipeline.collect.http import HttpClient


def fetch_catalog(client: HttpClient) -> list[Call]:
    """Fetch every catalog endpoint of the client's API version; raise FetchError on any failure."""
    if client.settings.api_version == "v1":
        from pipeline.collect.sources import v1
        return v1.fetch_all(client)
    from pipeline.collect.sources import v2
    return v2.fetch_all(client)


def fetch_stock(client: HttpClient, regions: list[str]) -> list[Call]:
    """Fetch only the availability of the given regions (v2 region ids, v1 DCIDs): a stock poll."""
    if client.settings.api_version == "v1":
        from pipeline.collect.sources import v1
        return v1.fetch_stock(client, regions)
    from pipeline.collect.sources import v2
    return v2.fetch_stock(client, regions)
