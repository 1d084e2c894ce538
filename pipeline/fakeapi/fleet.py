"""Servers in the emulator's memory: the account side of the API (v1 server/*, v2 instances).

The v1 and v2 surfaces keep separate fleets: v1 serves the 2020 libcloud catalog (numeric
VPSPLANIDs and DCIDs), v2 the 2026 one (plan and region ids), and those ids do not map onto each
other. A server keeps the catalog items it was created from, so it outlives a plan's retirement
like a real server does. Secrets (password, KVM token) are random per process and never logged.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .hashing import key64, mix64

Item = dict[str, Any]
_READS = threading.Lock()


@dataclass
class Server:
    """One server as the emulator knows it; v1.py / v2 render it in each API's shape."""

    api: str  # "v1" or "v2"
    server_id: str  # v1: the SUBID (digits), v2: a UUID
    label: str
    region: Item  # the v1 region item (DCID, name, ...) or the v2 region item (id, city, ...)
    plan: Item  # the catalog plan item as it was at creation
    os: Item
    created_at: datetime
    number: int  # 1, 2, ...: drives the synthetic addresses
    tags: tuple[str, ...] = ()
    is_bare_metal: bool = False
    # reads that still see the server "pending" at 0.0.0.0 (v2 create answers 202 with a pending server
    # that becomes active a little later: SHAPE-2026.md, Servers); seeded servers are active at once
    pending_reads: int = 0
    default_password: str = field(default_factory=lambda: secrets.token_urlsafe(12), repr=False)
    kvm_token: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)

    @property
    def tag(self) -> str:
        """The one tag of v1 and of v2's deprecated ``tag`` field: the first of ``tags``."""
        return self.tags[0] if self.tags else ""

    def read(self) -> bool:
        """One read of the server; True while it is still pending (no address yet)."""
        with _READS:
            pending = self.pending_reads > 0
            self.pending_reads = max(0, self.pending_reads - 1)
        return pending

    @property
    def main_ip(self) -> str:  # TEST-NET-3 (RFC 5737): never a real host
        return f"203.0.113.{self.number % 250 + 1}"

    @property
    def internal_ip(self) -> str:
        return f"10.99.0.{self.number % 250 + 1}"

    @property
    def v6_network(self) -> str:  # documentation prefix (RFC 3849)
        return f"2001:db8:1000:{self.number:x}::"

    @property
    def v6_main_ip(self) -> str:
        return f"2001:db8:1000:{self.number:x}::100"


class Fleet:
    """The servers of one API version, thread-safe, in creation order."""

    def __init__(self, api: str, seed: int = 0) -> None:
        self.api = api
        self._seed = seed
        self._servers: dict[str, Server] = {}
        self._count = 0
        self._lock = threading.Lock()

    def add(
        self, label: str, region: Item, plan: Item, os_item: Item,
        created_at: datetime | None = None, tags: tuple[str, ...] = (), is_bare_metal: bool = False,
        pending_reads: int = 0,
    ) -> Server:
        """Create a server without any stock check (create endpoints check first; seeds don't)."""
        with self._lock:
            self._count += 1
            number = self._count
            server = Server(
                api=self.api, server_id=self._new_id(number), label=label, region=region, plan=plan,
                os=os_item, created_at=created_at or datetime.now(UTC), number=number,
                tags=tuple(tags), is_bare_metal=is_bare_metal, pending_reads=pending_reads,
            )
            self._servers[server.server_id] = server
            return server

    def _new_id(self, number: int) -> str:
        if self.api == "v1":  # SUBIDs were increasing decimal strings, e.g. "576965"; unique per fleet
            return str(576964 + (self._seed % 1000) * 100000 + number)
        return str(uuid.UUID(int=mix64(key64("instance", self._seed), number) << 64
                             | mix64(key64("instance2", self._seed), number), version=4))

    def get(self, server_id: str) -> Server | None:
        with self._lock:
            return self._servers.get(server_id)

    def remove(self, server_id: str) -> bool:
        with self._lock:
            return self._servers.pop(server_id, None) is not None

    def all(self, bare_metal: bool | None = None) -> list[Server]:
        with self._lock:
            servers = list(self._servers.values())
        return [s for s in servers if bare_metal is None or s.is_bare_metal == bare_metal]
