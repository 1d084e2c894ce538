"""Shared fan-out: run fetches concurrently (the client's pacer keeps us under the rate limit)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from pipeline.calls import Call
from pipeline.collect.http import HttpClient

log = logging.getLogger(__name__)


def fan_out(client: HttpClient, jobs: Iterable[Callable[[], list[Call]]]) -> list[Call]:
    """Run jobs on a thread pool; the first exception propagates once all jobs settled."""
    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        futures = [pool.submit(job) for job in jobs]
        results = [future.exception() or future.result() for future in futures]
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [call for calls in results for call in calls]  # type: ignore[union-attr]


def log_endpoint(endpoint: str, calls: list[Call], items: int, started: float) -> None:
    log.info("endpoint=%s pages=%d items=%d ms=%.0f", endpoint, len(calls), items,
             (time.perf_counter() - started) * 1000)
