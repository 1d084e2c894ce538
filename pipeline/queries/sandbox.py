"""Run one function in a child process the OS bounds: memory (RLIMIT_DATA), wall-clock time (killed at
the deadline), and the child's death when its requester dies. The SQL console runs each query this way.

DuckDB's memory_limit only bounds its buffer manager: a string built by repeat() or || is allocated
outside it (`repeat('x', 300000000)` under a 64 MB limit reached 645 MB RSS in-process). RLIMIT_DATA
counts every private writable mapping of the child (malloc, mmap'd arenas), so such an allocation fails
there, and DuckDB reports it as an out-of-memory error. RLIMIT_AS would also count reserved address
space (thread stacks, jemalloc's reservations) and refuses ordinary queries.

The child is forked straight from the requester when that is single-threaded (the CLI: a fork costs a
few ms). Forking a multi-threaded process (the dashboard, where Streamlit, DuckDB and pyarrow run
threads) can leave the child waiting forever on a lock another thread held, so there the child is a
fresh interpreter, kept warm between queries (sandbox_worker: its imports done before a query comes; a
second query meanwhile gets its own fresh interpreter, about half a second of imports). A multiprocessing fork server would
be cheaper, but it re-runs the requester's `__main__` in each child, and Streamlit points `__main__`
at the page script while it runs; preloading pyarrow makes the server itself multi-threaded.
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


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


def run_bounded(target: Callable[[Any], Any], request: Any, bounds: Bounds,
                meanwhile: Callable[[], object] = lambda: None) -> Any:
    """target(request) in a bounded child; its return value (picklable), or the exception it raised
    re-raised here. SandboxTimeout at the deadline, SandboxMemoryError or SandboxDied otherwise.
    `meanwhile()` runs here while the child works (imports the answer needs, off the critical path)."""
    deadline = time.monotonic() + bounds.time_limit_s
    if is_single_threaded():
        return _run_forked(target, request, bounds.data_limit_bytes, deadline, meanwhile)
    from pipeline.queries.sandbox_worker import BUSY, run_warm  # the warm worker (its own module)

    answer = run_warm(target, request, bounds.data_limit_bytes, deadline, meanwhile)
    if answer is BUSY:  # another query has the warm worker: a fresh interpreter for this one
        return _run_spawned(target, request, bounds.data_limit_bytes, deadline, meanwhile)
    return answer


def is_single_threaded() -> bool:
    """One thread in this process, native ones included (not Linux: assume not)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _run_forked(target: Callable[[Any], Any], request: Any, data_limit_bytes: int, deadline: float,
                meanwhile: Callable[[], object]) -> Any:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(target, request, data_limit_bytes, sender.send),
                            name="vultr-catalog-sql", daemon=True)
    child.start()
    sender.close()  # the child holds the only writer: EOF here means it is gone
    try:
        meanwhile()
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise SandboxTimeout()
        try:
            message = receiver.recv()
        except EOFError:
            child.join()
            raise SandboxDied(child.exitcode) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    return _unwrap(message)


def _run_spawned(target: Callable[[Any], Any], request: Any, data_limit_bytes: int, deadline: float,
                 meanwhile: Callable[[], object]) -> Any:
    """A fresh interpreter (child_main) reads (target, request, limit) on stdin and writes its message on
    stdout; stderr is logged. It imports the same pipeline package as this process."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-c", "from pipeline.queries.sandbox import child_main; child_main()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        meanwhile()
        out, err = child.communicate(pickle.dumps((target, request, data_limit_bytes)),
                                     timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise SandboxTimeout() from None
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    if err.strip():
        log.debug("query process stderr: %s", err.decode("utf-8", "replace").strip()[:2000])
    if not out:
        raise SandboxDied(child.returncode)
    return _unwrap(pickle.loads(out))


def child_main() -> None:
    """The spawned child: its stdout is kept for the answer alone (fd 1 then points at stderr)."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    target, request, data_limit_bytes = pickle.load(sys.stdin.buffer)

    def send(message: tuple[str, Any]) -> None:
        answer.write(pickle.dumps(message))

    _child(target, request, data_limit_bytes, send)
    answer.close()


def _unwrap(message: tuple[str, Any]) -> Any:
    kind, value = message
    if kind == "raised":
        raise value
    if kind == "memory":
        raise SandboxMemoryError()
    return value


def _child(target: Callable[[Any], Any], request: Any, data_limit_bytes: int,
           send: Callable[[tuple[str, Any]], None]) -> None:
    _die_with_parent()
    _limit_data(data_limit_bytes)
    try:
        message = ("value", target(request))
    except MemoryError:
        message = ("memory", None)
    except Exception as exc:  # handed to the requester, which raises it
        message = ("raised", exc)
    try:
        send(message)
    except MemoryError:
        send(("memory", None))


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
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
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
