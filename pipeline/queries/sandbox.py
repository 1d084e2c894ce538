"""Run one function in a child process the OS bounds: memory (RLIMIT_DATA), wall-clock time (killed at
the deadline), and the child's death when its requester dies. The SQL console runs each query this way.

DuckDB's memory_limit only bounds its buffer manager: a string built by repeat() or || is allocated
outside it (`repeat('x', 300000000)` under a 64 MB limit reached 645 MB RSS in-process). RLIMIT_DATA
counts every private writable mapping of the child (malloc, mmap'd arenas), so such an allocation fails
there, and DuckDB reports it as an out-of-memory error. RLIMIT_AS would also count reserved address
space (thread stacks, jemalloc's reservations) and refuses ordinary queries.

The child is forked: straight from the requester when it is single-threaded (the CLI; a fork is a few
ms), else from a fork server started once per requester, with DuckDB and pyarrow already imported
(the dashboard: forking a multi-threaded process can deadlock the child on a lock another thread held).
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
# "__main__" is multiprocessing's own default: a script-run main is imported once, in the server,
# not again in each child.
_PRELOAD = ["__main__", "duckdb", "pyarrow", "pipeline.queries.console"]


class SandboxTimeout(Exception):
    """The child was still running at the deadline and was killed."""


class SandboxDied(Exception):
    """The child ended without an answer (killed by a signal, or an exit code)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(describe_exit(exitcode))
        self.signal = -exitcode if exitcode is not None and exitcode < 0 else None


class SandboxMemoryError(Exception):
    """The child hit its data limit where Python itself allocates (MemoryError)."""


@dataclass(frozen=True)
class Bounds:
    time_limit_s: float
    data_limit_bytes: int  # how far the child's data segment may grow past its size at the start


def run_bounded(target: Callable[[Any], Any], request: Any, bounds: Bounds) -> Any:
    """target(request) in a bounded child; its return value (picklable), or the exception it raised
    re-raised here. SandboxTimeout at the deadline, SandboxMemoryError or SandboxDied otherwise."""
    context = multiprocessing.get_context(_start_method())
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(target, request, bounds.data_limit_bytes, sender),
                            name="vultr-catalog-sql", daemon=True)
    deadline = time.monotonic() + bounds.time_limit_s
    child.start()
    sender.close()  # the child holds the only writer: EOF here means it is gone
    try:
        return _answer(receiver, child, deadline)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _answer(receiver: Any, child: Any, deadline: float) -> Any:
    if not receiver.poll(max(0.0, deadline - time.monotonic())):
        raise SandboxTimeout()
    try:
        kind, value = receiver.recv()
    except EOFError:
        child.join()
        raise SandboxDied(child.exitcode) from None
    if kind == "raised":
        raise value
    if kind == "memory":
        raise SandboxMemoryError()
    return value


def _start_method() -> str:
    """fork when this process has one thread (native ones included), else a fork server."""
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = 0  # not Linux: never fork blindly
    if threads == 1:
        return "fork"
    multiprocessing.set_forkserver_preload(_PRELOAD)
    return "forkserver"


def _child(target: Callable[[Any], Any], request: Any, data_limit_bytes: int, sender: Any) -> None:
    _die_with_parent()
    _limit_data(data_limit_bytes)
    try:
        message = ("value", target(request))
    except MemoryError:
        message = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - handed to the requester, which raises it
        message = ("raised", exc)
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    sender.close()


def _die_with_parent() -> None:
    """SIGKILL this child when its parent dies (a killed dashboard or CLI leaves no query running)."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux
    if os.getppid() != parent:  # the parent died before the prctl
        os._exit(1)


def _limit_data(extra_bytes: int) -> None:
    """RLIMIT_DATA = the data segment now + extra_bytes."""
    limit = data_size() + extra_bytes
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def data_size() -> int:
    """This process's data segment (VmData) in bytes, what RLIMIT_DATA compares against."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmData in /proc/self/status")


def describe_exit(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def pid_is_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
