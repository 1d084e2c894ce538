"""The README's commands that use the demo data run exactly as written (after `make demo`), in bash,
from a directory whose data/demo is a copy of a demo history."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def demo_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.startswith("vultr-catalog ") and "--data-dir data/demo" in line]


def test_the_readme_has_demo_examples():
    commands = demo_commands()
    assert len(commands) >= 6 and any(" --at " in c for c in commands) and any(" rebuild " in c for c in commands)


@pytest.fixture(scope="module")
def workdir(demo_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(demo_dir, work / "data" / "demo", ignore=shutil.ignore_patterns("*.lock"))
    return work


@pytest.mark.parametrize("command", demo_commands())
def test_readme_command_runs_as_written(workdir, command):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VULTR_CATALOG_DATA_DIR", None)
    result = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr
