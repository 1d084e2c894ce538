"""A warm sandbox worker for a multi-threaded requester (the dashboard's SQL console): one interpreter that
has already imported DuckDB, pyarrow and the console, waiting for the next query, instead of a fresh
interpreter per query (about half a second of imports before the query even starts).

The limits are the sandbox's, per query: before each query the worker sets RLIMIT_DATA to its data
segment now plus the query's allowance (sandbox._child), the requester kills it at the deadline, and it
dies with its requester (PR_SET_PDEATHSIG). A worker that was killed, ran out of memory or died is
replaced by a new one started at once, so the next query finds it warm. One query at a time: a second
query meanwhile gets a fresh interpreter (sandbox._run_spawned), as before.
"""
from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from pipeline.queries.sandbox import SandboxDied, SandboxTimeout, _child, _die_with_parent, _unwrap

log = logging.getLogger(__name__)
_LENGTH = struct.Struct("!Q")  # each message: its pickled length, then the pickle
BUSY = object()  # run_warm's answer when the worker is serving another query


def _write(stream: IO[bytes], message: Any) -> None:
    body = pickle.dumps(message)
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    """The next message, or None at end of file."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    return pickle.loads(stream.read(_LENGTH.unpack(head)[0]))


def worker_main() -> None:
    """The worker: imports what queries need, then answers (target, request, data limit) messages from
    stdin on stdout (fd 1 then points at stderr, so nothing else can write into the answers)."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _die_with_parent()
    import duckdb  # noqa: F401 - imported now, while no query waits
    import pyarrow  # noqa: F401

    import pipeline.queries.console  # noqa: F401 - the console's target, unpickled with each request
    from pipeline.queries import console_kept

    console_kept.keep_between_queries()  # one query at a time here: its connection serves the next one
    while (item := _read(sys.stdin.buffer)) is not None:
        target, request, data_limit_bytes = item
        _child(target, request, data_limit_bytes, lambda message: _write(answers, message))


class WarmWorker:
    """The requester's side: starts the worker, hands it one query at a time, replaces it when it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the worker now (if none runs), so it is warm when the first query comes."""
        if self._process is None or self._process.poll() is not None:
            package_root = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from pipeline.queries.sandbox_worker import worker_main; worker_main()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path})

    def run(self, target: Callable[[Any], Any], request: Any, data_limit_bytes: int, deadline: float,
            meanwhile: Callable[[], object]) -> Any:
        """target(request) in the worker, as sandbox.run_bounded; BUSY when it serves another query."""
        if not self._lock.acquire(blocking=False):
            return BUSY
        try:
            self.start()
            process = self._process
            assert process is not None and process.stdin is not None and process.stdout is not None
            try:
                _write(process.stdin, (target, request, data_limit_bytes))
            except BrokenPipeError:
                raise self._retire(died=True) from None
            meanwhile()
            ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise self._retire(died=False)
            message = _read(process.stdout)
            if message is None:
                raise self._retire(died=True)
            if message[0] == "memory":  # its heap is suspect now: the next query gets a new worker
                self._retire(died=False)
            return _unwrap(message)
        finally:
            self._lock.release()

    def _retire(self, died: bool) -> Exception:
        """Kill the worker (if alive), start its successor, and return the error to raise."""
        process, self._process = self._process, None
        assert process is not None
        if process.poll() is None:
            process.kill()
        code = process.wait()
        self.start()
        return SandboxDied(code) if died else SandboxTimeout()


_WORKER = WarmWorker()


def prewarm() -> None:
    """Start the shared worker if it is not running (the SQL console calls this when it is shown)."""
    _WORKER.start()


def run_warm(target: Callable[[Any], Any], request: Any, data_limit_bytes: int, deadline: float,
             meanwhile: Callable[[], object]) -> Any:
    """target(request) in the shared warm worker; BUSY when it is serving another query."""
    return _WORKER.run(target, request, data_limit_bytes, deadline, meanwhile)
