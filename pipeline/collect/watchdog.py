"""A wall-clock deadline from connect to the last body byte, for requests through requests/urllib3.

`timeout=(connect, read)` bounds each socket read, not a response: a server that sends its status
line and headers one byte per read timeout holds `session.get()` for as long as it likes, before any
of our code runs. A Watchdog is a timer for one request (in the calling thread): at the deadline it
shuts down the socket of that request, so the blocked read returns at once, and the connection
raises DeadlinePassed instead of the read error. DeadlinePassed is no OSError, so urllib3 does not
retry it: the deadline ends the request, retries included. Sessions need the WatchedAdapter (its
connections report their sockets to the watchdog of their thread).
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class DeadlinePassed(Exception):
    """The watchdog ended the request at its deadline."""


class Watchdog:
    """`with Watchdog(deadline):` around one request and its body read, in one thread."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.is_done = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        _CLOCK.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.is_done = True
        _current.watchdog = None

    def track(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self.expired:
                raise DeadlinePassed()
            self._connections.append(connection)

    def fire(self) -> None:
        with self._lock:
            if self.is_done:
                return
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            shut_down(getattr(connection, "sock", None))


class _Clock:
    """One daemon thread fires every watchdog at its deadline (a timer thread per request would cost
    a thread start on each request's critical path, between the pacer's slot and the send)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Watchdog]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watchdog: Watchdog) -> None:
        with self._changed:
            heapq.heappush(self._due, (watchdog.deadline, next(self._order), watchdog))
            self._ensure_running()
            if self._due[0][2] is watchdog:  # only an earlier deadline needs the thread awake
                self._changed.notify()

    def start(self) -> None:
        with self._changed:
            self._ensure_running()

    def _ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive():  # none yet, or this is a forked child
            self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, watchdog = heapq.heappop(self._due)
            watchdog.fire()  # outside the lock: a shutdown() never delays a new registration


_CLOCK = _Clock()


def start_clock() -> None:
    """Start the watchdogs' thread now (a client does, so no request pays for a thread start)."""
    _CLOCK.start()


def shut_down(sock: socket.socket | None) -> None:
    """Both directions: a read blocked on it returns now (close() alone would not wake it)."""
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def current() -> Watchdog | None:
    return getattr(_current, "watchdog", None)


class _Watched:
    """Report each request's connection to the thread's watchdog; after it fired, any failure of the
    connection is DeadlinePassed."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watchdog = current()
        if watchdog is not None and watchdog.expired:  # it fired while connecting, before the socket existed
            shut_down(self.sock)  # type: ignore[attr-defined]
            raise DeadlinePassed()

    def request(self, *args: Any, **kwargs: Any) -> None:
        watchdog = current()
        if watchdog is not None:
            watchdog.track(self)  # type: ignore[arg-type]
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except BaseException:
            _raise_if_expired()
            raise

    def getresponse(self) -> Any:
        try:
            response = super().getresponse()  # type: ignore[misc]
        except BaseException:
            _raise_if_expired()
            raise
        _raise_if_expired()  # http.client takes EOF amid the headers for their end: not a response
        return response


def _raise_if_expired() -> None:
    watchdog = current()
    if watchdog is not None and watchdog.expired:
        raise DeadlinePassed() from None


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (direct or through a proxy) answer to a Watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
