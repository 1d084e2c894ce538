"""Start the Streamlit dashboard headless, bound to localhost unless told otherwise."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from pipeline.config import default_data_dir


def app_script() -> Path:
    """Locate app/streamlit_app.py without importing the app package (pipeline never imports app)."""
    spec = importlib.util.find_spec("app")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the app package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "streamlit_app.py"


def streamlit_command(port: int, host: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app_script()),
        "--server.headless", "true", "--server.port", str(port), "--server.address", host,
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]


FLEET_ENV = "VULTR_CATALOG_FLEET"  # "1": show the private "Your fleet" page (serve --fleet only)


def app_env(data_dir: Path | str | None, fleet: dict[str, str] | None = None) -> dict[str, str]:
    """The app's environment: the data directory, and the fleet page's switch and API (the key stays
    in VULTR_API_KEY, inherited, never on a command line)."""
    env = {**os.environ, "VULTR_CATALOG_DATA_DIR": str(Path(data_dir or default_data_dir()).resolve())}
    env.pop(FLEET_ENV, None)
    if fleet:
        env.update({FLEET_ENV: "1", "VULTR_CATALOG_API_VERSION": fleet["api_version"],
                    "VULTR_CATALOG_BASE_URL": fleet["base_url"]})
    return env


def start_app(data_dir: Path | str | None, port: int, host: str = "127.0.0.1",
              fleet: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(streamlit_command(port, host), env=app_env(data_dir, fleet))


def serve(data_dir: Path | str | None, port: int, host: str = "127.0.0.1",
          fleet: dict[str, str] | None = None) -> int:
    """Run the app in the foreground until interrupted; return its exit code. With ``fleet``
    (api_version, base_url) the app also shows "Your fleet"."""
    process = start_app(data_dir, port, host, fleet)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
        return 0
