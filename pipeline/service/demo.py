"""`vultr-catalog demo`: the bundled emulator + simulated history + the dashboard, all local.

The emulator's living timeline evolves the recorded catalog over simulated time; the collector
visits it on a simulated clock (`X-Fake-Now`), hourly over the last day and every few hours
before, so a month of history takes seconds, not a month. Everything it writes is demo data and is
labelled so (snapshots.is_simulated).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipeline.collect.collector import collect_into
from pipeline.collect.http import new_session
from pipeline.config import Settings
from pipeline.errors import CatalogError
from pipeline.lock import collector_lock
from pipeline.service.serve import start_app, supervised_app
from pipeline.sql import fetch_value
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.publish import publish

log = logging.getLogger(__name__)
DEMO_DATA_DIR = Path("data") / "demo"
HOUR = timedelta(hours=1)


@dataclass
class DemoSummary:
    data_dir: Path
    snapshots: int
    changes: int
    first_at: datetime
    last_at: datetime
    seconds: float
    is_reused: bool = False


def demo_times(days: int, end_at: datetime | None = None, step_h: int = 1, hourly_h: int = 24) -> list[datetime]:
    """Instants ending at end_at (default: this hour): hourly over the last `hourly_h` hours, every
    `step_h` hours before that, back to `days` days ago (step_h=1: hourly throughout)."""
    end = (end_at or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    hours_back = [h for h in range(days * 24, -1, -1) if h <= hourly_h or h % max(step_h, 1) == 0]
    return [end - HOUR * h for h in hours_back]


def build_demo_history(data_dir: Path, days: int, end_at: datetime | None = None, seed: int = 0,
                       progress: Callable[[int, int], None] | None = None, step_h: int = 1) -> DemoSummary:
    """Wipe data_dir's warehouse and collect snapshots of the living emulator into it (see
    demo_times); `progress(done, total)` is called after each snapshot."""
    started = time.perf_counter()
    times = demo_times(days, end_at, step_h)
    with collector_lock(data_dir, "demo"):
        refuse_real_data(Path(data_dir))
        (Path(data_dir) / warehouse.WAREHOUSE_FILE).unlink(missing_ok=True)
        changes = _collect_timeline(Path(data_dir), times, times[0], seed, progress, drift_at(times))
    summary = DemoSummary(Path(data_dir), len(times), changes, times[0], times[-1], time.perf_counter() - started)
    log.info("demo history: %d snapshots, %d changes, %.1fs", summary.snapshots, changes, summary.seconds)
    return summary


def refuse_real_data(data_dir: Path) -> None:
    """The demo rebuilds its directory from scratch: never in one that holds real collected data."""
    path = data_dir / warehouse.WAREHOUSE_FILE
    if not path.exists():
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        real = fetch_value(con, "select count(*) from snapshots where not is_simulated")
    except duckdb.Error:
        real = 1  # not a warehouse we understand: do not touch it
    finally:
        con.close()
    if real:
        raise CatalogError(f"{data_dir} holds collected (not demo) data; the demo will not overwrite it: "
                           "use another --data-dir (default data/demo)")


def drift_at(times: list[datetime]) -> datetime | None:
    """The API starts sending a field the model does not know half-way: the demo shows schema drift."""
    return times[len(times) // 2] if len(times) > 1 else None


def _collect_timeline(data_dir: Path, times: list[datetime], start_at: datetime, seed: int,
                      progress: Callable[[int, int], None] | None, drift: datetime | None) -> int:
    """Snapshots of the emulator's living timeline (which began at start_at) into data_dir; publish
    once at the end."""
    from pipeline.fakeapi import FakeVultr, Timeline

    timeline = Timeline(seed=seed, start_at=start_at, drift_at=drift)
    changes = 0
    with FakeVultr(timeline=timeline, rate_limit=False).start() as api:
        settings = Settings(data_dir=data_dir, base_url=api.base_url + "/v2", requests_per_second=1000)
        with warehouse.open_warehouse(data_dir) as con, new_session(settings) as session:
            for done, at in enumerate(times, start=1):
                changes += collect_into(con, settings, at=at, session=session).change_count
                if progress:
                    progress(done, len(times))
            publish(con, data_dir)
    return changes


def run_demo(port: int, days: int = 0, serve_app: bool = True, data_dir: str | Path | None = None,
             progress: Callable[[int, int], None] | None = None, step_h: int = 1, reuse: bool = True) -> int:
    """Build (or reuse and bring up to this hour) the demo history, then serve the dashboard on it. The
    dashboard starts first, so Streamlit starts (and imports) on the other core while the history builds."""
    target = Path(data_dir) if data_dir else DEMO_DATA_DIR
    if not serve_app:
        _prepare(target, days, step_h, reuse, progress)
        return 0
    with supervised_app(start_app(target, port, quiet=True)) as app:
        def progress_or_stop(done: int, total: int) -> None:  # a stop signal ends the build between snapshots
            app.check()
            if progress:
                progress(done, total)

        _prepare(target, days, step_h, reuse, progress_or_stop)
        app.wait_until_listening(port)  # the link is printed once it opens the dashboard
        if app.process.poll() is None:
            print(f"dashboard: http://127.0.0.1:{port}/?region=fra&type=vhf  (Ctrl-C stops it)", flush=True)
        return app.wait()
    return 0  # stopped by SIGTERM/SIGINT, while building or serving


def _prepare(target: Path, days: int, step_h: int, reuse: bool, progress: Callable[[int, int], None] | None) -> None:
    from pipeline.queries.formatting import plural, utc_text
    from pipeline.service.demo_cache import prepare_demo_history

    summary = prepare_demo_history(target, days, step_h=step_h, reuse=reuse, progress=progress)
    how = "reused and brought up to date" if summary.is_reused else "built"
    if summary.is_reused:
        print(f"reused the demo history in {target} (built by this same code; --fresh rebuilds it)")
    print(f"demo data (simulated by the bundled emulator): {plural(summary.snapshots, 'snapshot')}, "
          f"{plural(summary.changes, 'change')}, {utc_text(summary.first_at)} to {utc_text(summary.last_at)},"
          f" {how} in {summary.seconds:.0f}s in {target}")
    print(f"try: vultr-catalog cheapest --region fra --type vhf --data-dir {target}")
