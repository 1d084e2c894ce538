"""The collector's state file, `<data-dir>/collector-state.json` (a leaf: read by `status` and the
dashboard, written only by the lock holder).

It holds what the catalog cannot: the last failure (failed snapshots are published only with the
next success), the schedule and its next run, alert delivery counts. Written atomically (temp file +
os.replace), never with the API key in it.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.paths import STATE_FILE, state_path
from pipeline.secrets import scrub

log = logging.getLogger(__name__)
_write_guard = threading.Lock()  # the scheduler's threads update the file too

_TIMES = ("last_run_at", "last_success_at", "last_failure_at", "next_run_at", "started_at", "stopped_at")
_NUMBERS = ("interval_s", "jitter_s")
_INTEGERS = ("pid", "last_snapshot_id", "last_failure_snapshot_id", "consecutive_failures")
_STRINGS = ("cron", "command", "last_error")


def read_state(data_dir: Path | str) -> dict[str, Any]:
    """The state file; unreadable, or a value of the wrong type (an edited or damaged file), counts
    as absent (logged once per key), never as a traceback."""
    try:
        state = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict):
        return {}
    bad = [key for key, value in state.items() if value is not None and not _well_typed(key, value)]
    for key in bad:
        log.warning("state file %s: ignoring %s=%.40r (wrong type)", state_path(data_dir), key, state.pop(key))
    return state


def update_state(data_dir: Path | str, **changes: Any) -> dict[str, Any]:
    """Merge changes (datetimes become ISO strings) into the state file, atomically."""
    with _write_guard:
        state = read_state(data_dir)
        state.update({k: _stored(v) for k, v in changes.items()})
        path = state_path(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    return state


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time (naive = UTC); None when missing or malformed."""
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _well_typed(key: str, value: Any) -> bool:
    if key in _TIMES:
        return isinstance(value, str) and parse_time(value) is not None
    if key in _NUMBERS:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")
    if key in _INTEGERS:
        return isinstance(value, int) and not isinstance(value, bool)
    if key in _STRINGS:
        return isinstance(value, str)
    if key == "alerts":
        return isinstance(value, dict)
    return True


def _stored(value: Any) -> Any:
    """JSON-ready, and never the API key (an error text may quote it)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return scrub(value) if isinstance(value, str) else value
