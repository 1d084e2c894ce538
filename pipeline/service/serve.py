"""Start the Streamlit dashboard headless, bound to localhost unless told otherwise."""
from __future__ import annotations

import errno
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import default_data_dir

log = logging.getLogger(__name__)


def app_script() -> Path:
    """Locate app/streamlit_app.py without importing the app package (pipeline never imports app)."""
    spec = importlib.util.find_spec("app")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the app package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "streamlit_app.py"


# The app's heavy imports, done before Streamlit starts serving instead of in the first visitor's run
# (pipeline.queries, the app's read side, alone took ~0.3 s of the first run after a start).
# `demo` starts the app while it builds the history, so this costs nothing there; with `serve` the
# page answers just as soon and every later first visit is faster.
WARM_START = ("import duckdb, numpy, pandas, pyarrow, pipeline.queries; from streamlit.web.cli import main; "
              "main(prog_name='streamlit')")

# Streamlit's settings for the dashboard (bench_dashboard's floor app runs with the same). Magic is off:
# Streamlit drops its compiled scripts whenever no session is connected, so a visitor who arrives
# alone (the usual case for a shared link) paid for magic's rewrite of the page scripts again (~14 ms
# CPU, several times that on a busy host); no page relies on it (tests/test_app.py checks).
# Its log says warnings and errors only: `serve` and `demo` print the link themselves, and Streamlit's
# info lines ("Uvicorn server started on ...") would stand beside it.
SERVER_OPTIONS = (
    "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    "--client.toolbarMode", "minimal", "--runner.magicEnabled", "false", "--logger.level", "warning",
)


def streamlit_command(port: int, host: str) -> list[str]:
    return [sys.executable, "-c", WARM_START, "run", str(app_script()), *SERVER_OPTIONS,
            "--server.port", str(port), "--server.address", host]


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


def check_port_free(host: str, port: int) -> None:
    """ConfigError naming the port when something already listens there: said at once, in one line,
    instead of Streamlit's log line seconds later (serve, demo and fake-api call this first)."""
    import socket

    from pipeline.errors import ConfigError

    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or "unavailable").lower()
            raise ConfigError(f"port {port} on {host} is {reason}: stop what uses it or choose another "
                              "with --port") from None


def start_app(data_dir: Path | str | None, port: int, host: str = "127.0.0.1",
              fleet: dict[str, str] | None = None, quiet: bool = False) -> subprocess.Popen:
    """Streamlit in its own process group (start_new_session), so stopping it stops all of it. `quiet`
    drops its stdout (its banner), e.g. while a progress bar owns the terminal; errors still show.
    A busy port is a ConfigError before anything starts."""
    check_port_free(host, port)
    return subprocess.Popen(streamlit_command(port, host), env=app_env(data_dir, fleet), start_new_session=True,
                            stdout=subprocess.DEVNULL if quiet else None)


def stop_app(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> int:
    """Send sig to the app's process group, wait, then SIGKILL the group if it is still there."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        log.warning("the dashboard did not stop within %.0fs; killing it", timeout_s)
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def serve(data_dir: Path | str | None, port: int, host: str = "127.0.0.1",
          fleet: dict[str, str] | None = None) -> int:
    """Run the app until it exits or this process gets SIGTERM/SIGINT (then 0). With ``fleet``
    (api_version, base_url) the app also shows "Your fleet"."""
    with supervised_app(start_app(data_dir, port, host, fleet)) as app:
        return app.wait()
    return 0  # stopped by SIGTERM/SIGINT


@dataclass
class SupervisedApp:
    """The running app and the stop signals received. A signal interrupts only `wait()` (a plain wait on
    the child); anywhere else (the demo's build, inside a DuckDB query that would turn it into "Query
    interrupted") it is recorded and `check()` raises at the next safe point."""
    process: subprocess.Popen
    signals: list[int] = field(default_factory=list)
    is_waiting: bool = False

    def check(self) -> None:
        if self.signals:
            raise _Stop

    def wait(self) -> int:
        self.check()
        self.is_waiting = True
        return self.process.wait()

    def wait_until_listening(self, port: int, host: str = "127.0.0.1", timeout_s: float = 120.0) -> bool:
        """Whether the app answers its health check before timeout_s (False at once if it exited)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.process.poll() is None:
            self.check()
            try:
                urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False


@contextmanager
def supervised_app(process: subprocess.Popen) -> Iterator[SupervisedApp]:
    """While the body runs, SIGTERM/SIGINT to this process stop it (see SupervisedApp) and are forwarded
    to the app's process group; the with statement is then left normally. Any way out stops the app: a
    stopped `serve` (or `demo`, even while it builds) never leaves an orphan dashboard serving."""
    app = SupervisedApp(process)

    def record(signum: int, _frame: object) -> None:
        app.signals.append(signum)
        if app.is_waiting and len(app.signals) == 1:  # a second one (e.g. from make too) changes nothing
            raise _Stop

    previous = {sig: signal.signal(sig, record) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield app
    except _Stop:
        pass
    finally:
        app.is_waiting = False  # from here on a signal is only recorded
        if process.poll() is None:  # stopped, or any other way out (an error): the app goes too
            stop_app(process, app.signals[0] if app.signals else signal.SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stop(BaseException):
    """Raised to leave the supervised body on a stop signal; a BaseException (like KeyboardInterrupt), so
    no `except Exception` on the way takes it for an error."""
