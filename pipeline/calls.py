"""One fetched HTTP exchange: the record the collector hands to the warehouse (a leaf, so the warehouse
knows nothing of HTTP and the client nothing of DuckDB)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Call:
    """One HTTP exchange as it will be stored in the raw layer."""

    endpoint: str
    path: str
    params: dict[str, str]
    status: int
    body: bytes
    elapsed_ms: float
    requested_at: datetime
    content_type: str = ""
