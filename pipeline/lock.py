"""One writer per data directory: `<data-dir>/collector.lock`, held with flock(2) for as long as a
collector (`collect`, or a whole `schedule` service) runs.

The kernel drops a flock when its holder dies, however it dies, so a killed collector never blocks
the next start: its PID left in the file is just overwritten. The file is never deleted (deleting a
lock file lets two processes lock two different inodes). Inside one process the lock is re-entrant
for the thread that holds it, and for every thread when the holder allows it (`schedule` does, so
each tick's `collect()` in a worker thread proceeds); any other attempt is refused like a second
process would be.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import WriterBusyError
from pipeline.paths import LOCK_FILE

_BUSY_RETRY_S = 0.5  # a status probe (or a holder writing its PID) is gone well within this


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str
    started_at: str

    def describe(self) -> str:
        pid = f"PID {self.pid}" if self.pid else "PID unknown"
        command = f" `vultr-catalog {self.command}`" if self.command else ""
        started = f", started {self.started_at}" if self.started_at else ""
        return f"{pid}{command}{started}"


@dataclass
class _Held:
    fd: int
    holder: Holder
    nestable: bool
    thread_id: int
    depth: int = 1


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def lock_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / LOCK_FILE


@contextmanager
def collector_lock(data_dir: Path | str, command: str, nestable: bool = False) -> Iterator[Holder]:
    """Hold the data directory's writer lock; raise WriterBusyError naming the process that has it."""
    key = Path(data_dir).resolve() / LOCK_FILE
    held = _enter(Path(data_dir), key, command, nestable)
    try:
        yield held.holder
    finally:
        _exit(key)


def _enter(data_dir: Path, key: Path, command: str, nestable: bool) -> _Held:
    with _guard:
        held = _held.get(key)
        if held is not None:
            if not held.nestable and held.thread_id != threading.get_ident():
                raise WriterBusyError(busy_message(held.holder, data_dir))
            held.depth += 1
            return held
        data_dir.mkdir(parents=True, exist_ok=True)
        holder = Holder(os.getpid(), command, datetime.now(UTC).isoformat(timespec="seconds"))
        fd = _acquire(lock_path(data_dir), data_dir)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.__dict__).encode() + b"\n", 0)
        held = _held[key] = _Held(fd, holder, nestable, threading.get_ident())
        return held


def _acquire(path: Path, data_dir: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (PEP 446)
    deadline = time.monotonic() + _BUSY_RETRY_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() < deadline:  # a status probe holds it for microseconds only
                time.sleep(0.02)
                continue
            os.close(fd)
            holder = read_holder(data_dir) or Holder(None, "", "")
            raise WriterBusyError(busy_message(holder, data_dir)) from None


def _exit(key: Path) -> None:
    with _guard:
        held = _held[key]
        held.depth -= 1
        if held.depth:
            return
        del _held[key]
        os.ftruncate(held.fd, 0)  # an empty file = nobody; a PID left behind = a holder that died
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)


def busy_message(holder: Holder, data_dir: Path) -> str:
    return f"another collector ({holder.describe()}) is using {data_dir}: stop it first, or use another --data-dir"


def read_holder(data_dir: Path | str) -> Holder | None:
    """What the lock file says (the holder, or a holder that died); None if empty or missing."""
    try:
        text = lock_path(data_dir).read_text(encoding="utf-8").strip()
        raw = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    return Holder(raw.get("pid"), str(raw.get("command") or ""), str(raw.get("started_at") or ""))


def is_locked(data_dir: Path | str) -> bool:
    """Whether some process holds the lock now (works across containers sharing the directory).

    The probe holds a shared lock for microseconds; a collector starting in that instant retries
    for up to half a second (see _acquire), so a probe never makes a start fail.
    """
    path = lock_path(data_dir)
    if not path.exists():
        return False
    key = Path(data_dir).resolve() / LOCK_FILE
    with _guard:
        if key in _held:
            return True
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's lock
    return False
