"""The scheduled collector as users run it: `vultr-catalog schedule` in a real subprocess against the
emulator's living timeline on a fast simulated clock, stopped with a real SIGTERM."""
from __future__ import annotations

import itertools
import logging
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.durations import format_duration, parse_duration
from pipeline.errors import ConfigError
from pipeline.fakeapi import Fault
from pipeline.service.schedule import ScheduleSpec
from tests.conftest import (
    fast_settings,
    log_text,
    ok_count,
    published_snapshots,
    run_cli,
    running_schedule,
    status_json,
    stop,
    wait_for,
)


def hold_catalog_open(data_dir: Path) -> subprocess.Popen:
    """A separate process holding a read-only connection to catalog.duckdb until its stdin closes."""
    code = ("import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True);"
            " print(c.execute('select count(*) from snapshots').fetchone()[0], flush=True); sys.stdin.read()")
    reader = subprocess.Popen([sys.executable, "-c", code, str(data_dir / "catalog.duckdb")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert int(reader.stdout.readline()) >= 1
    return reader


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("15m", 900), ("1h", 3600), ("1h30m", 5400),
                                            ("2d", 172800), ("0.5s", 0.5), (" 2M ", 120)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1x", "1h-5m", "0s", "-1h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_format_duration():
    assert [format_duration(s) for s in (5, 65, 3600 * 3 + 61, 86400 * 2 + 3600 * 4 + 5)] == \
        ["5s", "1m 5s", "3h 1m", "2d 4h"]


def test_cron_spec_interval_and_bad_expression(cli):
    assert ScheduleSpec(cron="*/15 * * * *").interval_s() == 900
    with pytest.raises(ConfigError, match="crontab"):
        ScheduleSpec(cron="every tuesday").trigger()
    result = cli("schedule", "--every", "soon", "--data-dir", "/nonexistent/x")
    assert result.returncode == 2 and "Error: --every: not a duration: 'soon'" in result.stderr  # usage


def test_schedule_runs_without_overlap_and_stops_cleanly_on_sigterm(living_api, data_dir):
    with running_schedule(living_api, data_dir) as process:
        wait_for(lambda: ok_count(data_dir) >= 1, what="the first snapshot (runs at once)")
        reader = hold_catalog_open(data_dir)  # another process (a notebook, the duckdb CLI) keeps it open
        wait_for(lambda: ok_count(data_dir) >= 5, what="five snapshots")
        assert reader.poll() is None
        running = status_json(data_dir)
        second = run_cli("schedule", "--every", "1s", "--data-dir", str(data_dir),
                         "--base-url", f"{living_api.base_url}/v2")
        assert second.returncode == 1
        assert f"another collector (PID {process.pid} `vultr-catalog schedule`" in second.stderr
        assert process.poll() is None
        assert stop(process) == 0
        reader.stdin.close()
        assert reader.wait(timeout=10) == 0
    assert running["collector"]["is_running"] and running["collector"]["pid"] == process.pid
    assert running["schedule"]["interval_s"] == 1 and running["schedule"]["next_run_at"]
    # the staleness rule follows the schedule (twice its interval); whether 2 s passed between two runs
    # is a wall-clock race under load, so freshness itself is tested with a fixed `now` in test_status
    assert running["stale_after_s"] == 2 and running["last_success"]["snapshot_id"] >= 5
    rows = published_snapshots(data_dir)
    assert len(rows) >= 5 and all(r[1] == "ok" for r in rows)
    for earlier, later in itertools.pairwise(rows):
        assert earlier[3] <= later[2], f"snapshots {earlier[0]} and {later[0]} overlap"
    changes = duckdb.connect(str(data_dir / "catalog.duckdb"), read_only=True)
    assert changes.execute("select count(*) from catalog_changes").fetchone()[0] > 0  # the timeline moved
    changes.close()
    after = status_json(data_dir)
    assert not after["collector"]["is_running"] and after["schedule"]["next_run_at"] is None
    assert "status=ok" in log_text(data_dir) and "SIGTERM received" in log_text(data_dir)


def test_failed_run_is_recorded_and_the_next_tick_tries_again(living_api, data_dir):
    with running_schedule(living_api, data_dir) as process:
        wait_for(lambda: ok_count(data_dir) >= 2, what="two snapshots")
        living_api.set_fault("/v2/regions", Fault("html", times=1))  # one CDN error page
        wait_for(lambda: status_json(data_dir)["last_failure"], what="a failed run in the state file")
        failed_before = ok_count(data_dir)
        wait_for(lambda: ok_count(data_dir) > failed_before, what="a successful run after the failure")
        assert stop(process, signal.SIGINT) == 0
    status = status_json(data_dir)
    assert "regions" in status["last_failure"]["error"] and status["consecutive_failures"] == 0
    statuses = [row[1] for row in published_snapshots(data_dir)]
    assert "failed" in statuses and statuses[-1] == "ok"
    assert "status=failed" in log_text(data_dir) and "SIGINT received" in log_text(data_dir)


def test_sigterm_during_a_snapshot_lets_it_finish(living_api, data_dir):
    living_api.latency_ms = 150  # a snapshot now takes about a second
    with running_schedule(living_api, data_dir, every="1h") as process:
        wait_for(lambda: len(living_api.requests) >= 3, what="the first snapshot to be under way")
        assert not (data_dir / "catalog.duckdb").exists()
        assert stop(process) == 0
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    statuses = [r[0] for r in con.execute("select status from snapshots order by snapshot_id").fetchall()]
    con.close()
    assert statuses == ["ok"]  # finished, not abandoned half-done
    assert ok_count(data_dir) == 1  # and published
    assert len(living_api.requests) >= 34


class BreakWarehouse:
    """A collector hook that breaks the warehouse before the run (as a damaged file would): applying
    the fetched bodies then fails with an error no code path foresaw. (The previous snapshot's content
    hash is cleared too: else the run repeats its answers and extends its runs without applying.)"""

    def before(self, data_dir: Path) -> None:
        with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
            con.execute("update snapshots set content_hash = null")
            con.execute("alter table _applied_bodies rename to _applied_bodies_gone")

    def after(self, data_dir: Path) -> None:
        pass


def test_an_unexpected_error_in_a_run_is_logged_with_its_traceback(api, data_dir, caplog):
    from pipeline.collect.collector import collect
    from pipeline.service.schedule import Service

    settings = fast_settings(api, data_dir)
    collect(settings)  # a working warehouse first
    service = Service(settings, accept_anomalies=False, hooks=(BreakWarehouse(),))
    with caplog.at_level(logging.ERROR, logger="pipeline.service.schedule"):
        service.tick()  # never raises: one bad run must not stop the service
    record = next(r for r in caplog.records if "status=failed" in r.getMessage())
    assert "unexpected CatalogException while collecting" in record.getMessage()
    assert record.exc_info is not None
    text = caplog.text
    assert "Traceback" in text and "_applied_bodies" in text  # the original error, with where it happened
    assert status_json(data_dir)["last_failure"]["error"].startswith("unexpected CatalogException")
