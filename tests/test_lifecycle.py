"""Stopping `serve` or `demo` stops the Streamlit child too: it runs in its own process group and the
parent forwards SIGTERM/SIGINT to it (a subprocess test: it is about processes and signals)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie no longer runs anything


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def serving(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.parametrize("command, sig", [("serve", signal.SIGINT), ("demo", signal.SIGTERM)])
def test_stopping_the_parent_stops_the_dashboard(demo_dir, tmp_path, command, sig):
    port = free_port()
    data_dir = str(demo_dir) if command == "serve" else str(tmp_path / "demo")
    extra = ["--days", "0"] if command == "demo" else []
    parent = subprocess.Popen([sys.executable, "-m", "pipeline", command, "--port", str(port), "--data-dir", data_dir,
                               *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app: list[int] = []
    try:
        wait_until(lambda: serving(port), START_TIMEOUT_S, "the dashboard to answer")
        app = children(parent.pid)
        assert app, "the dashboard runs as a child process"
        parent.send_signal(sig)
        assert parent.wait(timeout=30) == 0
        wait_until(lambda: all(is_gone(pid) for pid in app), 15, "the dashboard process to exit")
        assert not serving(port)
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in app:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_stopping_demo_while_it_builds_stops_the_dashboard(tmp_path):
    """`demo` starts the dashboard first (Streamlit starts while the history builds): a signal during the
    build stops both, promptly, and a build cut short never looks reusable (no stamp file)."""
    port = free_port()
    data_dir = tmp_path / "demo"
    # 30 hourly days (721 snapshots): minutes of building, so the dashboard answers long before the end
    parent = subprocess.Popen([sys.executable, "-m", "pipeline", "demo", "--port", str(port), "--data-dir",
                               str(data_dir), "--days", "30", "--step-hours", "1"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app: list[int] = []
    try:
        wait_until(lambda: serving(port), START_TIMEOUT_S, "the dashboard to answer during the build")
        assert not (data_dir / "demo-build.json").exists(), "the build is still running"
        app = children(parent.pid)
        assert app, "the dashboard runs as a child process"
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 0
        wait_until(lambda: all(is_gone(pid) for pid in app), 15, "the dashboard process to exit")
        assert not serving(port)
        assert not (data_dir / "demo-build.json").exists()
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in app:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)
