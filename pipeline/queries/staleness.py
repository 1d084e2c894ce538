"""The one staleness rule, shared by `status`, the dashboard's sidebar and its Data health page.

The catalog is stale when its last successful snapshot was observed (started_at) longer ago than the
threshold: twice the scheduler's interval when a schedule recorded one in the state file, else
DEFAULT_STALE_AFTER_S. No successful snapshot at all is stale too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.state import read_state

DEFAULT_STALE_AFTER_S = 3 * 3600.0  # without a schedule: three missed hourly runs


@dataclass(frozen=True)
class Staleness:
    age_s: float | None          # since the last successful snapshot was observed; None without one
    stale_after_s: float
    is_default: bool             # True: no schedule interval recorded, DEFAULT_STALE_AFTER_S applies
    is_stale: bool


def stale_after_s(state: dict[str, Any]) -> tuple[float, bool]:
    """(threshold, is_default): twice the recorded schedule interval, else the default."""
    interval = state.get("interval_s")
    if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval > 0:
        return 2.0 * float(interval), False
    return DEFAULT_STALE_AFTER_S, True


def staleness(data_dir: Path | str, last_ok_at: datetime | None, now: datetime) -> Staleness:
    """Apply the rule to the last successful snapshot's observation time, as of `now`."""
    threshold, is_default = stale_after_s(read_state(data_dir))
    age_s = None if last_ok_at is None else (now - last_ok_at).total_seconds()
    return Staleness(age_s, threshold, is_default, age_s is None or age_s > threshold)
