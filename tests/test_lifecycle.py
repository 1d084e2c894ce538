"""Stopping `serve` or `demo` stops the Streamlit child too: it runs in its own process group and the
parent forwards SIGTERM/SIGINT to it (a subprocess test: it is about processes and signals)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port, wait_for

START_TIMEOUT_S = 90


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie no longer runs anything


def serving(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def dashboard_parent(*args: str) -> Iterator[tuple[subprocess.Popen, list[int]]]:
    """`python -m pipeline ARGS` and the list its dashboard child's pid goes into; whatever a failed
    test leaves running (the parent, the child) is killed."""
    parent = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app: list[int] = []
    try:
        yield parent, app
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in app:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)


def signal_stops_both(parent: subprocess.Popen, app: list[int], port: int, sig: int) -> None:
    """Send sig to the parent: it exits 0 and its dashboard child exits and stops serving."""
    app.extend(children(parent.pid))
    assert app, "the dashboard runs as a child process"
    parent.send_signal(sig)
    assert parent.wait(timeout=30) == 0
    wait_for(lambda: all(is_gone(pid) for pid in app), 15, "the dashboard process to exit")
    assert not serving(port)


@pytest.mark.parametrize("command, sig", [("serve", signal.SIGINT), ("demo", signal.SIGTERM)])
def test_stopping_the_parent_stops_the_dashboard(demo_dir, tmp_path, command, sig):
    port = free_port()
    data_dir = str(demo_dir) if command == "serve" else str(tmp_path / "demo")
    extra = ["--days", "0"] if command == "demo" else []
    with dashboard_parent(command, "--port", str(port), "--data-dir", data_dir, *extra) as (parent, app):
        wait_for(lambda: serving(port), START_TIMEOUT_S, "the dashboard to answer")
        signal_stops_both(parent, app, port, sig)


def test_stopping_demo_while_it_builds_stops_the_dashboard(tmp_path):
    """`demo` starts the dashboard first (Streamlit starts while the history builds): a signal during the
    build stops both, promptly, and a build cut short never looks reusable (no stamp file)."""
    port = free_port()
    data_dir = tmp_path / "demo"
    # 30 hourly days (721 snapshots): minutes of building, so the dashboard answers long before the end
    with dashboard_parent("demo", "--port", str(port), "--data-dir", str(data_dir), "--days", "30",
                          "--step-hours", "1") as (parent, app):
        wait_for(lambda: serving(port), START_TIMEOUT_S, "the dashboard to answer during the build")
        assert not (data_dir / "demo-build.json").exists(), "the build is still running"
        signal_stops_both(parent, app, port, signal.SIGTERM)
        assert not (data_dir / "demo-build.json").exists()


def test_serve_prints_its_link_and_none_of_streamlits_info_lines(demo_dir, tmp_path):
    port, output = free_port(), tmp_path / "serve.out"
    with output.open("wb") as sink:
        parent = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--data-dir",
                                   str(demo_dir)], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: serving(port), START_TIMEOUT_S, "the dashboard to answer")
            signal_stops_both(parent, [], port, signal.SIGINT)
        finally:
            if parent.poll() is None:
                parent.kill()
    printed = output.read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{port}" in printed
    assert "Uvicorn" not in printed and " INFO " not in printed, printed
