"""`status`: the state file plus the published catalog, read-only; staleness against the interval."""
from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

from pipeline.paths import state_path
from pipeline.queries import DEFAULT_STALE_AFTER_S
from pipeline.queries.status import collector_status, render_status
from pipeline.state import read_state, update_state


def test_status_of_a_missing_data_dir_fails(data_dir, cli):
    result = cli("status", "--data-dir", str(data_dir))
    assert result.returncode == 1 and result.stderr.startswith("Error: no data directory at ")


def test_status_of_an_empty_data_dir(data_dir, cli):
    data_dir.mkdir()
    result = cli("status", "--data-dir", str(data_dir))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "last success    none yet" in out and "collector       not running" in out
    assert "stale           YES (stale after 3h without a successful snapshot; the default" in out
    status = json.loads(cli("status", "--format", "json", "--data-dir", str(data_dir)).stdout)
    assert status["last_success"] is None and status["counts"] is None
    assert status["is_stale"] is True and status["stale_after_s"] == DEFAULT_STALE_AFTER_S


def test_status_reads_demo_catalog_and_labels_it(demo_dir):
    status = collector_status(demo_dir)
    assert status["last_success"]["is_simulated"] is True
    assert status["counts"]["snapshots_ok"] == 49 and status["counts"]["regions"] > 0
    assert "(demo data)" in render_status(status)
    assert not (demo_dir / "collector-state.json").exists()  # status never writes


def test_stale_after_twice_the_interval_and_last_failure(demo_dir, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_dir / "catalog.duckdb", data_dir / "catalog.duckdb")
    observed = datetime.fromisoformat(collector_status(data_dir)["last_success"]["observed_at"])
    failed_at = observed + timedelta(minutes=30)
    update_state(data_dir, interval_s=3600, last_failure_at=failed_at, last_error="plans: HTTP 503",
                 consecutive_failures=2)
    fresh = collector_status(data_dir, now=observed + timedelta(hours=1, minutes=59))
    stale = collector_status(data_dir, now=observed + timedelta(hours=2, minutes=1))
    assert fresh["is_stale"] is False and stale["is_stale"] is True and stale["stale_after_s"] == 7200
    assert stale["last_failure"]["error"] == "plans: HTTP 503"
    assert stale["last_failure"]["at"] == failed_at.astimezone(UTC).isoformat()
    text = render_status(stale)
    assert "stale           YES (stale after 2h without" in text and "(2 in a row): plans: HTTP 503" in text


def test_state_file_is_replaced_atomically(data_dir):
    update_state(data_dir, pid=1, interval_s=60)
    update_state(data_dir, pid=2)
    assert read_state(data_dir) == {"pid": 2, "interval_s": 60}
    assert [p.name for p in data_dir.iterdir()] == [state_path(data_dir).name]  # no temp file left
