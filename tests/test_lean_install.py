"""A lean first run (issue 23, 7): `make demo` installs only what running needs, `make test` adds the dev
tools, and building the package's metadata prints no setuptools deprecation banner."""
from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT

DEV_TOOLS = {"pyspark", "playwright", "jupyter", "nbclient", "nbformat", "pytest", "ruff", "mypy"}


def requirement_names(extra: str | None) -> set[str]:
    """The distribution names vultr-catalog requires at runtime (extra None) or for one extra."""
    names = set()
    for requirement in importlib.metadata.requires("vultr-catalog") or []:
        marker = re.search(r"extra\s*==\s*['\"](\w+)['\"]", requirement)
        if (marker.group(1) if marker else None) == extra:
            names.add(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower())
    return names


def test_running_needs_none_of_the_dev_tools():
    runtime, dev = requirement_names(None), requirement_names("dev")
    assert {"duckdb", "pandas", "requests", "streamlit", "apscheduler"} <= runtime
    assert not runtime & DEV_TOOLS, runtime & DEV_TOOLS
    assert {"pyspark", "playwright", "pytest"} <= dev


def test_make_demo_installs_the_package_without_its_dev_extra(tmp_path):
    """`make -n -B` prints what each target would run from scratch, without running it."""
    def plan(target: str) -> str:
        return subprocess.run(["make", "-n", "-B", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    demo, test = plan("demo"), plan("test")
    assert re.search(r"install --quiet (--python \S+ )?-e \.;", demo) and "[dev]" not in demo
    assert "[dev]" in test


def test_building_the_package_metadata_prints_no_deprecation_banner(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("pipeline", "app"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(wheels), str(source)],
                           cwd=tmp_path, capture_output=True, text=True, check=True)  # -v: the backend's own output
    assert "running bdist_wheel" in built.stdout + built.stderr  # the build's log is what we read
    assert "Deprecat" not in built.stdout + built.stderr, built.stderr[-2000:]
    with zipfile.ZipFile(next(wheels.glob("vultr_catalog-*.whl"))) as wheel:
        metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert re.search(r"^License-Expression: MIT$", metadata, re.M), metadata[:500]
