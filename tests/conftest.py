"""Shared fixtures: the emulator on 127.0.0.1 (real loopback HTTP) and a fresh data directory."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.fakeapi import FakeVultr

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def api():
    with FakeVultr().start() as emulator:
        yield emulator


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def fast_settings(api: FakeVultr, data_dir: Path, version: str = "v2", **overrides) -> Settings:
    """Settings for tests: short timeouts and backoff so fault tests finish quickly."""
    values = dict(data_dir=data_dir, api_version=version, base_url=f"{api.base_url}/{version}",
                  read_timeout_s=1.0, backoff_factor_s=0.05, max_retries=2, retry_after_max_s=2.0)
    values.update(overrides)
    return Settings(**values)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DEMO_END_AT = None  # demo history ends at the current hour, like `make demo`


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small demo history (2 simulated days, hourly) built once per test session. Read-only for tests."""
    from pipeline.service.demo import build_demo_history

    target = tmp_path_factory.mktemp("demo") / "data"
    build_demo_history(target, days=2, end_at=DEMO_END_AT)
    return target
