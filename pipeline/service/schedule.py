"""The scheduled collector service (APScheduler 3.11).

`run_schedule` holds the writer lock for its whole life and runs the collector's `collect` (the same
step as the `collect` command: lock, collect, publish, state file, alerts) on an interval or a cron
expression: the first run at once, never two at a time (max_instances=1), missed runs coalesced
into one; SIGTERM/SIGINT let a running snapshot finish, then it exits 0. With a stock cadence a
second job polls only availability in between; both jobs take one writer mutex, so they never
overlap (a stock poll due while a full collection runs is skipped: the full one covers it).
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.collect.collector import CollectHook, collect
from pipeline.config import Settings
from pipeline.errors import CatalogError, ConfigError, UnexpectedError
from pipeline.lock import collector_lock
from pipeline.service.alerts import AlertConfig, alert_hooks
from pipeline.state import update_state

log = logging.getLogger(__name__)
JOB_ID = "collect"
STOCK_JOB_ID = "stock"


@dataclass(frozen=True)
class ScheduleSpec:
    every_s: float | None = None
    cron: str | None = None
    jitter_s: float = 0.0
    stock_every_s: float | None = None  # availability-only polls between full collections

    def trigger(self) -> BaseTrigger:
        jitter = int(self.jitter_s) or None  # APScheduler takes whole seconds
        if self.cron:
            trigger = _crontab(self.cron)
            trigger.jitter = jitter
            return trigger
        if not self.every_s:
            raise ConfigError("give --every DURATION (e.g. 15m) or --cron EXPR")
        return IntervalTrigger(seconds=self.every_s, jitter=jitter, timezone=UTC)

    def interval_s(self) -> float:
        """The nominal gap between runs (for a cron expression: between its next two fire times)."""
        if not self.cron:
            return float(self.every_s or 0)
        trigger, now = _crontab(self.cron), datetime.now(UTC)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
        return (second - first).total_seconds()


def _crontab(expr: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expr, timezone=UTC)
    except ValueError as exc:
        raise ConfigError(f"not a crontab expression {expr!r} (minute hour day month weekday, UTC): {exc}") from None


class Service:
    """The job APScheduler runs, with a run counter for the log and the state file's next_run_at."""

    def __init__(self, settings: Settings, accept_anomalies: bool, hooks: Sequence[CollectHook] = (),
                 site_dir: str | None = None) -> None:
        self.settings, self.accept_anomalies, self.hooks = settings, accept_anomalies, tuple(hooks)
        self.site_dir = site_dir
        self.runs = 0
        self.next_run_changed = True
        self.scheduler: BackgroundScheduler | None = None
        self.writer = threading.Lock()  # one collection at a time, whichever job runs it

    def tick(self) -> None:
        with self.writer:  # a full collection waits for a running stock poll (a second at most)
            self._run("full")

    def stock_tick(self) -> None:
        if not self.writer.acquire(blocking=False):
            log.debug("stock poll skipped: a collection is running")
            return
        try:
            self._run("stock")
        finally:
            self.writer.release()

    def _run(self, kind: str) -> None:
        self.runs += 1
        try:
            r = collect(self.settings, accept_anomalies=self.accept_anomalies, hooks=self.hooks, command="schedule",
                        kind=kind)
            log.info("run=%d kind=%s status=ok snapshot=%d changes=%d seconds=%.2f", self.runs, kind,
                     r.snapshot_id, r.change_count, r.elapsed_s)
            self._build_site()
        except UnexpectedError as exc:  # a bug: its traceback (with the original cause) goes to the log
            log.error("run=%d status=failed error=%s", self.runs, exc, exc_info=exc)
        except CatalogError as exc:  # foreseen (HTTP, bad bodies, the quality gate): one line says it all
            log.error("run=%d status=failed error=%s", self.runs, exc)
        except Exception:  # a bug in one run must not stop the service
            log.exception("run=%d status=failed error=unexpected", self.runs)

    def _build_site(self) -> None:
        """After a publish: the static site anew (built aside, swapped at once). A failed build keeps the
        old site and is logged; it never fails the collection that was published."""
        if self.site_dir is None:
            return
        from pipeline.site import build_site  # Jinja and the templates load only for a schedule with --site

        try:
            built = build_site(self.site_dir, self.settings.data_dir)
            log.info("run=%d site=ok files=%d seconds=%.2f", self.runs, built.files, built.seconds)
        except CatalogError as exc:
            log.error("run=%d site=failed error=%s", self.runs, exc)
        except Exception:  # the next publish tries again
            log.exception("run=%d site=failed error=unexpected", self.runs)

    def job_event(self, _event: object = None) -> None:
        """Called by APScheduler's threads: only flag it. (Calling the scheduler from here can deadlock
        with shutdown(wait=True), which holds the job store lock while it waits for the job.)"""
        self.next_run_changed = True

    def record_next_run(self) -> None:
        """From the main loop: put the job's next run time in the state file for `status`."""
        self.next_run_changed = False
        job = self.scheduler.get_job(JOB_ID) if self.scheduler else None
        next_at = job.next_run_time if job else None
        update_state(self.settings.data_dir, next_run_at=next_at)
        if next_at:
            log.debug("next_run_at=%s", next_at.astimezone(UTC).isoformat(timespec="seconds"))


def run_schedule(settings: Settings, spec: ScheduleSpec, accept_anomalies: bool = False,
                 alerts: AlertConfig | None = None, stop: threading.Event | None = None,
                 site_dir: str | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set); return 0 after a clean stop. With site_dir, the static
    site there is rebuilt after every successful publish."""
    stop = stop or threading.Event()
    if site_dir:
        from pipeline.site import check_target

        check_target(site_dir)  # a --site that can never be written fails now, not every run
    trigger, interval_s = spec.trigger(), spec.interval_s()
    with collector_lock(settings.data_dir, "schedule", nestable=True) as holder:
        service = Service(settings, accept_anomalies, alert_hooks(alerts), site_dir)
        update_state(settings.data_dir, pid=holder.pid, command="schedule", started_at=holder.started_at,
                     interval_s=interval_s, cron=spec.cron, jitter_s=spec.jitter_s,
                     stock_interval_s=spec.stock_every_s, stopped_at=None)
        scheduler = service.scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(service.tick, trigger, id=JOB_ID, name="collect", max_instances=1, coalesce=True,
                          misfire_grace_time=max(int(interval_s), 1), next_run_time=datetime.now(UTC))
        if spec.stock_every_s:
            scheduler.add_job(service.stock_tick, IntervalTrigger(seconds=spec.stock_every_s, timezone=UTC),
                              id=STOCK_JOB_ID, name="stock", max_instances=1, coalesce=True,
                              misfire_grace_time=max(int(spec.stock_every_s), 1))
        scheduler.add_listener(service.job_event,
                               EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        every = f"cron={spec.cron!r}" if spec.cron else f"every_s={interval_s:g}"
        if spec.stock_every_s:
            every += f" stock_every_s={spec.stock_every_s:g}"
        log.info("schedule started pid=%d %s jitter_s=%g data_dir=%s", holder.pid, every, spec.jitter_s,
                 settings.data_dir)
        with _stop_on_signals() as signalled:
            scheduler.start()
            while not stop.wait(0.2) and not signalled:
                if service.next_run_changed:
                    service.record_next_run()
            log.info("%s received: letting a running snapshot finish", signalled[0] if signalled else "stop")
            scheduler.shutdown(wait=True)
        update_state(settings.data_dir, stopped_at=datetime.now(UTC), next_run_at=None)
    log.info("schedule stopped after %d runs", service.runs)
    return 0


@contextmanager
def _stop_on_signals() -> Iterator[list[str]]:
    """Yield a list that SIGTERM/SIGINT append their name to. The handler only appends (no locks,
    no logging: it interrupts the main thread anywhere); the main loop polls. Main thread only."""
    received: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
