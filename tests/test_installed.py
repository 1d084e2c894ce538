"""It works when installed: the wheel, built from this checkout and installed into a fresh venv outside
it, runs `fake-api`, `collect`, `cheapest` and `serve`, and every dashboard page renders in chromium.

The fresh venv reuses the dev venv's third-party packages through a .pth line (no download), but not
its editable install of this project: `pipeline` and `app` come from the wheel, and nothing runs with
the checkout on sys.path (cwd is a temp dir). docs/deploy/Dockerfile installs the same wheel.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import requests

from tests.conftest import CHROMIUM, PAGES, ROOT, free_port, render_page, wait_for, wait_until_serving

SOURCES = ("pyproject.toml", "README.md", "pipeline", "app")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium: apt-get install chromium")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the wheel of this checkout."""
    root = tmp_path_factory.mktemp("installed")
    source, wheels = root / "source", root / "wheels"
    source.mkdir()
    for name in SOURCES:  # what the Dockerfile copies; building a copy keeps setuptools' build/ out of the checkout
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, cwd=root, capture_output=True)
    target = root / "venv"
    venv.create(target, with_pip=False)
    packages = next(target.glob("lib/python3*/site-packages"))
    # third-party packages from the dev venv; its .pth files (the editable install) are not processed
    (packages / "dev-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
                    "--quiet", "--no-deps", "--no-index", *map(str, wheels.glob("*.whl"))],
                   check=True, cwd=root, capture_output=True)
    return target / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(bin_dir / "vultr-catalog"), *args], capture_output=True, text=True,
                            cwd=cwd, env=clean_env(), timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VULTR_CATALOG_DATA_DIR")}


def test_the_installed_wheel_collects_answers_and_serves_every_page(installed, tmp_path, browser):
    where = subprocess.run([str(installed / "python"), "-c",
                            "import json, sys, app, pipeline; print(json.dumps([pipeline.__file__, app.__file__, sys.path]))"],
                           capture_output=True, text=True, cwd=tmp_path, env=clean_env(), check=True)
    pipeline_file, app_file, path = json.loads(where.stdout)
    assert pipeline_file.startswith(str(installed.parent)) and app_file.startswith(str(installed.parent))
    assert not any(p.startswith(str(ROOT)) and "/.venv/" not in p for p in path), path

    api_port, app_port, data_dir = free_port(), free_port(), tmp_path / "data"
    api = subprocess.Popen([str(installed / "vultr-catalog"), "fake-api", "--port", str(api_port)], cwd=tmp_path,
                           env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{api_port}/v2/regions"), what="the installed emulator")
        collected = run(installed, "collect", "--base-url", f"http://127.0.0.1:{api_port}/v2", "--data-dir",
                        str(data_dir), "--rate-limit", "1000", cwd=tmp_path)
        assert "snapshot 1 ok" in collected.stdout
        cheapest = run(installed, "cheapest", "--region", "fra", "--type", "vhf", "--format", "json",
                       "--data-dir", str(data_dir), cwd=tmp_path)
        assert json.loads(cheapest.stdout)[0]["region_id"] == "fra"
        server = subprocess.Popen([str(installed / "vultr-catalog"), "serve", "--port", str(app_port), "--data-dir",
                                   str(data_dir)], cwd=tmp_path, env=clean_env(), start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{app_port}"
        wait_until_serving(url, server)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        for path in PAGES:  # the Availability page reads the packaged region_coordinates.csv
            render_page(page, url, path)
        context.close()
    finally:
        api.terminate()
        api.wait(timeout=20)
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)  # serve and the streamlit process it started
            server.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
