"""Reuse the demo history while the code that built it is unchanged: `make demo` builds it once, and
later runs only collect the hours since the last run (seconds), so the dashboard is up at once.

A stamp file (`demo-build.json`) beside the warehouse records what built it: a hash of every file of
the pipeline package (code, SQL, recordings), the span, the step, the seed and the timeline's start.
Any difference, a missing catalog, or a gap longer than the span means a full rebuild.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pipeline
from pipeline.lock import collector_lock
from pipeline.paths import catalog_path
from pipeline.service.demo import DemoSummary, _collect_timeline, build_demo_history, demo_times, drift_at, refuse_real_data
from pipeline.warehouse import store as warehouse

log = logging.getLogger(__name__)
STAMP_FILE = "demo-build.json"
SOURCE_SUFFIXES = {".py", ".sql", ".json", ".txt", ".md"}


def code_fingerprint() -> str:
    """sha256 over the pipeline package's files (path and bytes), in a stable order."""
    root = Path(pipeline.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def prepare_demo_history(data_dir: Path, days: int, step_h: int = 1, seed: int = 0, reuse: bool = True,
                         progress: Callable[[int, int], None] | None = None,
                         now: datetime | None = None) -> DemoSummary:
    """The demo history in data_dir ending at this hour: reused and topped up when its stamp matches,
    else built from scratch (see module docstring)."""
    data_dir = Path(data_dir)
    wanted = {"fingerprint": code_fingerprint(), "days": days, "step_h": step_h, "seed": seed}
    times = demo_times(days, now, step_h)
    stamp = read_stamp(data_dir) if reuse else None
    if stamp and _reusable(stamp, wanted, data_dir, times[-1], days):
        return _top_up(data_dir, stamp, times, progress)
    (data_dir / STAMP_FILE).unlink(missing_ok=True)  # a build cut short must never look reusable
    summary = build_demo_history(data_dir, days, end_at=now, seed=seed, progress=progress, step_h=step_h)
    drift = drift_at(demo_times(days, summary.last_at, step_h))
    write_stamp(data_dir, {**wanted, "start_at": summary.first_at.isoformat(), "last_at": summary.last_at.isoformat(),
                           "drift_at": drift.isoformat() if drift else None,
                           "snapshots": summary.snapshots, "changes": summary.changes})
    return summary


def _reusable(stamp: dict[str, Any], wanted: dict[str, Any], data_dir: Path, end: datetime, days: int) -> bool:
    if any(stamp.get(k) != v for k, v in wanted.items()):
        return False
    if not (warehouse.warehouse_path(data_dir).exists() and catalog_path(data_dir).exists()):
        return False
    last_at = datetime.fromisoformat(stamp["last_at"])
    return last_at <= end and (end - last_at).total_seconds() <= max(days, 1) * 86400


def _top_up(data_dir: Path, stamp: dict[str, Any], times: list[datetime],
            progress: Callable[[int, int], None] | None) -> DemoSummary:
    """Collect only the instants after the stamp's last one, on the same timeline (same start)."""
    started = time.perf_counter()
    start_at, last_at = datetime.fromisoformat(stamp["start_at"]), datetime.fromisoformat(stamp["last_at"])
    new_times = [t for t in times if t > last_at]
    changes = 0
    if new_times:
        with collector_lock(data_dir, "demo"):
            refuse_real_data(data_dir)
            drift = datetime.fromisoformat(stamp["drift_at"]) if stamp.get("drift_at") else None
            changes = _collect_timeline(data_dir, new_times, start_at, stamp["seed"], progress, drift)
    stamp = {**stamp, "last_at": (new_times or [last_at])[-1].isoformat(),
             "snapshots": stamp["snapshots"] + len(new_times), "changes": stamp["changes"] + changes}
    write_stamp(data_dir, stamp)
    log.info("demo history reused: %d new snapshots", len(new_times))
    return DemoSummary(data_dir, stamp["snapshots"], stamp["changes"], start_at,
                       datetime.fromisoformat(stamp["last_at"]), time.perf_counter() - started, is_reused=True)


def read_stamp(data_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(data_dir) / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_stamp(data_dir: Path, stamp: dict[str, Any]) -> None:
    path = Path(data_dir) / STAMP_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    os.replace(tmp, path)
