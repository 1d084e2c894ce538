"""Sliding-window rate limiting per client, as Vultr's front end applies it."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``limit`` accepted requests per client in any ``window_s`` seconds.

    Rejected requests are not counted, so a client that backs off for the window is
    served again; one that keeps hammering only ever gets the oldest slot freed.
    """

    def __init__(
        self, limit: int, window_s: float = 1.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._now = now
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        """Record a request from ``client``; False when it exceeds the limit."""
        with self._lock:  # read the clock under the lock: arrivals are kept in time order
            now = self._now()
            seen = self._seen.setdefault(client, deque())
            while seen and now - seen[0] >= self.window_s:
                seen.popleft()
            if len(seen) >= self.limit:
                return False
            seen.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
