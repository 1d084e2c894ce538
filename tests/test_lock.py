"""One writer per data directory: refusal naming the holder, recovery from a killed holder."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import duckdb
import pytest

from pipeline.collect.collector import collect as collect_once
from pipeline.errors import WriterBusyError
from pipeline.lock import collector_lock, is_locked, lock_path, read_holder
from pipeline.warehouse import store as warehouse
from pipeline.warehouse.store import INTERRUPTED
from tests.conftest import FAST_V2, ROOT, fast_settings, run_cli

HOLDER = """
import sys, time
from pipeline.lock import collector_lock
with collector_lock(sys.argv[1], "schedule"):
    print("locked", flush=True)
    time.sleep(600)
"""


def hold_lock(data_dir) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_second_collector_is_refused_naming_the_first(api, data_dir):
    holder = hold_lock(data_dir)
    try:
        result = run_cli("collect", "--data-dir", str(data_dir), "--base-url", f"{api.base_url}/v2", *FAST_V2)
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: another collector (PID {holder.pid} `vultr-catalog schedule`,")
        assert str(data_dir) in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert is_locked(data_dir) and read_holder(data_dir).pid == holder.pid
        assert not (data_dir / "warehouse.duckdb").exists()  # refused before touching anything
    finally:
        holder.kill()
        holder.wait()


def test_lock_left_by_a_killed_process_does_not_block(api, data_dir):
    holder = hold_lock(data_dir)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert read_holder(data_dir).pid == holder.pid  # its PID is still in the file ...
    assert not is_locked(data_dir)                  # ... but the kernel dropped the lock
    result = run_cli("collect", "--data-dir", str(data_dir), "--base-url", f"{api.base_url}/v2", *FAST_V2)
    assert result.returncode == 0, result.stderr
    assert lock_path(data_dir).read_text() == ""    # released cleanly: nobody holds it


def test_lock_in_process_reentrant_for_holder_thread_only(data_dir):
    errors = []
    with collector_lock(data_dir, "collect"):
        with collector_lock(data_dir, "collect"):  # same thread: nested is fine
            pass
        thread = threading.Thread(target=lambda: _try_lock(data_dir, errors))
        thread.start()
        thread.join()
    assert len(errors) == 1 and "another collector" in errors[0]
    with collector_lock(data_dir, "schedule", nestable=True):  # the scheduler lets its worker threads in
        thread = threading.Thread(target=lambda: _try_lock(data_dir, errors))
        thread.start()
        thread.join()
    assert len(errors) == 1


def _try_lock(data_dir, errors: list) -> None:
    try:
        with collector_lock(data_dir, "collect"):
            pass
    except WriterBusyError as exc:
        errors.append(str(exc))


def test_snapshot_left_running_by_a_killed_collector_is_marked_failed(api, data_dir):
    settings = fast_settings(api, data_dir)
    with warehouse.open_warehouse(data_dir) as con:  # what a collector killed mid-snapshot leaves behind
        stuck = warehouse.start_snapshot(con, "v2", settings.base_url, datetime.now(UTC), False)
    result = collect_once(settings)
    con = duckdb.connect(str(data_dir / "catalog.duckdb"), read_only=True)
    rows = con.execute("select snapshot_id, status, error from snapshots order by snapshot_id").fetchall()
    con.close()
    assert rows == [(stuck, "failed", INTERRUPTED), (result.snapshot_id, "ok", None)]


@pytest.mark.parametrize("command", ["collect", "schedule"])
def test_busy_message_names_command(data_dir, command):
    with collector_lock(data_dir, command):
        holder = read_holder(data_dir)
    assert holder.command == command and holder.pid
