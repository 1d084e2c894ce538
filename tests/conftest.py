"""Shared fixtures and helpers: the emulator on 127.0.0.1 (real loopback HTTP), its living timeline on a
fast simulated clock, a fresh data directory, the CLI in-process, the scheduler as a real process.

`make test` runs the suite on several pytest-xdist workers at once (docs/testing.md). New tests must:
- bind port 0 or take `free_port()`, never a fixed port;
- write only under tmp_path / tmp_path_factory (`demo_dir` is shared by every worker: read-only);
- put tests that share one expensive per-run thing (Spark's JVM, the dashboard + chromium) in one
  `pytest.mark.xdist_group` so one worker holds it;
- wait with `wait_for` (a generous deadline that only bounds a failure), never sleep-and-hope.
"""
from __future__ import annotations

import contextlib
import email
import email.message
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline import queries
from pipeline.config import Settings
from pipeline.fakeapi import FakeVultr, Timeline

ROOT = Path(__file__).resolve().parents[1]


# v2 without its 30 requests/s limit, and clients told so: a paced v2 collection waits 1.3 s, and the
# suite collects a few hundred times. Pacing against the real limits is tested on its own (test_http,
# test_fakeapi); v1 keeps its 2 requests/s everywhere (v1_api, below).
FAST_V2_RATE = 1000
FAST_V2 = ("--rate-limit", str(FAST_V2_RATE))  # for `collect` on the command line, against `api`


# --- the emulator fixture family: every fixture that serves the emulator starts it through serve_emulator,
# so an option the emulator gains (a catalog to serve, an API key) is added in one place: give the fixture
# that needs it the keyword, and serve_emulator hands it to FakeVultr. ---

def serve_emulator(**options: Any) -> Iterator[FakeVultr]:
    """The emulator on a free loopback port for the length of a fixture; options go to FakeVultr."""
    with FakeVultr(**options).start() as emulator:
        yield emulator


# The emulator's two 2026 catalogs: the mid-2026 shape (the default) and the January 2026 recording's
# (separate -sc1 plans, no location_cost). A test whose answer depends on the shape runs on both:
# `@each_catalog` on a test taking `api`, or `params=CATALOGS` on a module fixture of its own.
CATALOGS = ("2026-07", "2026-01")
each_catalog = pytest.mark.parametrize("api", CATALOGS, indirect=True)


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[FakeVultr]:
    """The emulator as the real API, but v2 unlimited (see FAST_V2_RATE); its catalog is the default
    or the one a test parametrizes (`each_catalog`)."""
    catalog = getattr(request, "param", CATALOGS[0])
    yield from serve_emulator(catalog=catalog, unlimited=("v2",))


V1_REGIONS = ("1", "7", "9")  # EWR, AMS, FRA


@pytest.fixture
def v1_api():
    """The emulator with a 3-region v1 world (v1 keeps its 2 requests/s limit, so a full v1 collection,
    one availability request per region, takes 10 s; this one 3 s). For tests not about v1's size."""
    yield from serve_emulator(v1_regions=V1_REGIONS, unlimited=("v2",))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def fast_settings(api: FakeVultr, data_dir: Path, version: str = "v2", **overrides) -> Settings:
    """Settings for tests: short timeouts and backoff so fault tests finish quickly; v2 unpaced."""
    values = dict(data_dir=data_dir, api_version=version, base_url=f"{api.base_url}/{version}",
                  read_timeout_s=1.0, backoff_factor_s=0.05, max_retries=2, retry_after_max_s=2.0)
    if version == "v2":  # every fixture's emulator serves v2 unlimited (FAST_V2_RATE); v1 keeps 2/s
        values["requests_per_second"] = FAST_V2_RATE
    values.update(overrides)
    return Settings(**values)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture
def cli(capsys):
    """Run `vultr-catalog ARGS` in-process through pipeline.cli.main, as run_cli does in a subprocess:
    a CompletedProcess with returncode, stdout and stderr."""
    from pipeline.cli import main

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()  # drop what came before
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["vultr-catalog", *args], code, out, err)

    return run


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DEMO_END_AT = None  # demo history ends at the current hour, like `make demo`


def _build_demo(target: Path, done: Path) -> None:
    from pipeline.service.demo import build_demo_history

    shutil.rmtree(target.parent, ignore_errors=True)  # a half-built one from a build that died
    build_demo_history(target, days=2, end_at=DEMO_END_AT)
    done.touch()


def _shared_demo(run_dir: Path) -> tuple[Path, Path, Path]:
    """(the history, its 'built' marker, the flock file) in this run's folder, common to its workers."""
    return run_dir / "demo" / "data", run_dir / "demo.built", run_dir / "demo.lock"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` honour xdist_group on pytest 9.2. pytest-xdist 3.8 tags a grouped test
    by appending `@group` to its id through the old `_nodeid` attribute, which pytest 9.2 no longer
    reads (pytest-xdist issue 1386), so groups were silently ignored (two workers each started Spark).
    This sets the id pytest 9.2 reads; it does nothing once xdist's own suffix is there."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = f"@{'_'.join(names)}"
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under xdist the controller starts building the shared demo history at once, while its workers
    start up and collect; `demo_dir` waits for it on the flock."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", None):
        return
    target, done, lock_file = _shared_demo(config._tmp_path_factory.getbasetemp())
    lock = open(lock_file, "w")  # noqa: SIM115 - held until the build thread below closes it
    fcntl.flock(lock, fcntl.LOCK_EX)

    def build() -> None:
        try:
            _build_demo(target, done)
        except Exception:  # the first worker that needs it builds it again and fails visibly
            pass
        finally:
            lock.close()

    threading.Thread(target=build, name="demo-history", daemon=True).start()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A small demo history (2 simulated days, hourly) built once per test run, shared by every xdist
    worker (the controller starts it; a worker that finds no finished one builds it under the flock).
    Read-only for tests: copy it to change it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        target = tmp_path_factory.mktemp("demo") / "data"
        _build_demo(target, target.parent / "built")
        return target
    target, done, lock_file = _shared_demo(tmp_path_factory.getbasetemp().parent)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or if its holder dies
        if not done.exists():
            _build_demo(target, done)
    return target


# --- the scheduler as users run it (test_schedule, test_alerts) ---

SIM_START = datetime(2026, 3, 1, tzinfo=UTC)
SIM_HOURS_PER_S = 2.0  # the living catalog moves two simulated hours per real second


def fast_clock(hours_per_s: float = SIM_HOURS_PER_S) -> Callable[[], datetime]:
    origin = time.monotonic()
    return lambda: SIM_START + timedelta(hours=(time.monotonic() - origin) * hours_per_s)


@pytest.fixture
def living_api() -> Iterator[FakeVultr]:
    """The emulator's living timeline on a fast simulated clock (the catalog moves while a test waits)."""
    yield from serve_emulator(timeline=Timeline(seed=3, start_at=SIM_START), clock=fast_clock(), rate_limit=False)


TIMELINE_START = datetime(2026, 1, 1, tzinfo=UTC)
TIMELINE = Timeline(seed=7, start_at=TIMELINE_START)  # what test_history and test_stock walk through
TIMELINE_EVENTS = TIMELINE.events_between(TIMELINE_START, TIMELINE_START + timedelta(days=200))


@pytest.fixture
def timeline_api() -> Iterator[FakeVultr]:
    """The living timeline (TIMELINE) with no clock of its own: each collection names its moment (`at`)."""
    yield from serve_emulator(timeline=TIMELINE, rate_limit=False)


def wait_for(condition: Callable[[], object], timeout_s: float = 120, what: str = "condition") -> object:
    """Poll until condition() is truthy; fail with `what` after the deadline (never sleep-and-hope). The
    deadline only bounds a failure (a passing test returns as soon as the condition holds), so it is
    generous: under xdist on a busy 2-core host a subprocess can take tens of seconds to start."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def start_schedule(api: FakeVultr, data_dir: Path, *extra: str, every: str = "1s",
                   options: tuple[str, ...] = ()) -> subprocess.Popen:
    """`vultr-catalog [OPTIONS] schedule` as a real process; its log goes to data_dir/../schedule-<n>.log."""
    logs = sorted(data_dir.parent.glob("schedule-*.log"))
    log_path = data_dir.parent / f"schedule-{len(logs)}.log"
    command = [sys.executable, "-m", "pipeline", *options, "schedule", "--every", every, "--data-dir", str(data_dir),
               "--base-url", f"{api.base_url}/v2", "--rate-limit", "1000", *extra]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_path.open("w"),
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


@contextlib.contextmanager
def running_schedule(api: FakeVultr, data_dir: Path, *extra: str, every: str = "1s",
                     options: tuple[str, ...] = ()) -> Iterator[subprocess.Popen]:
    """start_schedule's process for the block; killed at its end if the block did not stop it (a failed
    assertion, a timeout), so no test leaves a scheduler running."""
    process = start_schedule(api, data_dir, *extra, every=every, options=options)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int:
    process.send_signal(sig)
    return process.wait(timeout=timeout_s)


def published_snapshots(data_dir: Path) -> list[tuple]:
    """(snapshot_id, status, started_at, finished_at) from the published catalog, read-only and brief."""
    path = data_dir / "catalog.duckdb"
    if not path.exists():
        return []
    with queries.catalog(data_dir) as con:
        return con.execute("select snapshot_id, status, started_at, finished_at from snapshots"
                           " order by snapshot_id").fetchall()


def ok_count(data_dir: Path) -> int:
    return sum(1 for row in published_snapshots(data_dir) if row[1] == "ok")


def status_json(data_dir: Path) -> dict:
    """What `status --format json` prints (the library call behind it, in-process)."""
    from pipeline.queries.status import collector_status

    if not data_dir.is_dir():  # the scheduler has not created it yet (status on a missing directory fails)
        return {}
    return collector_status(data_dir)


def log_text(data_dir: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(data_dir.parent.glob("schedule-*.log")))


# --- alerts: a real local webhook receiver and rules files (test_alerts, test_stock) ---


class Receiver:
    """A generic webhook receiver: records every JSON POST and answers 204."""

    def __init__(self, port: int = 0) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"

    def ids(self) -> list[str]:
        return [b["alert_id"] for b in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


class SmtpReceiver:
    """A real local SMTP server (aiosmtpd) that accepts one login and keeps every message it receives."""

    def __init__(self, user: str, password: str) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[email.message.Message] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's naming
                receiver.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        def login(server, session, envelope, _mechanism, auth_data) -> AuthResult:
            return AuthResult(success=(auth_data.login, auth_data.password) == (user.encode(), password.encode()))

        self.port = free_port()  # aiosmtpd connects to its own port to check it is up: no port 0
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=login,
                                     auth_require_tls=False)
        self.controller.start()

    def texts(self) -> list[str]:
        """The plain-text body of each message."""
        return [next(p for p in m.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
                for m in self.messages]

    def close(self) -> None:
        self.controller.stop()


RETRY_SOON = "[delivery]\nretry_base_s = 0.5\nretry_max_s = 1\ntimeout_s = 2\n"


def deliver_after_outage(api: FakeVultr, data_dir: Path, rules: Path, port: int) -> Receiver:
    """Run the scheduler while nothing listens on `port` until alerts are pending (collections going on),
    then start a Receiver there, wait until the backlog is delivered and stop the scheduler; the
    receiver (closed) keeps what it got."""
    process = start_schedule(api, data_dir, "--alerts", str(rules))
    receiver = None
    try:
        down = wait_for(lambda: (status_json(data_dir).get("alerts") or {}).get("pending"), what="pending alerts")
        assert ok_count(data_dir) >= 2 and down > 0  # collection went on while the receiver was down
        receiver = Receiver(port)
        wait_for(lambda: len(receiver.bodies) >= down and status_json(data_dir)["alerts"]["pending"] == 0,
                 what="the backlog delivered once the receiver is up")
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
        if receiver:
            receiver.close()
    return receiver


def write_rules(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def stock_rule(webhook: str, delivery: str = "") -> str:
    return f'[[rule]]\nname = "any stock change"\nentity = "availability"\nwebhook = "{webhook}"\n{delivery}'


# --- the dashboard in Debian's chromium (test_browser, test_installed) ---

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEADLINE_MS = 30_000
# url path -> (screenshot name, text that shows the page has its data)
PAGES = {
    "?region=fra&type=vhf": ("finder", "Cheapest vhf plan in stock in Frankfurt"),
    "compare?plans=vc2-1c-1gb,vhf-1c-1gb,vc2-2c-4gb": ("compare", "each against"),
    "availability?type=vhf": ("availability", "Circle size: plans"),  # the caption under the map
    "plan_history?plan=vc2-1c-1gb": ("plan-history", "In stock now in"),
    "changes": ("changes", "In stock per region"),
    "regions": ("regions", "regions."),
    "operating_systems": ("operating-systems", "operating systems ("),
    "data_health": ("data-health", "Recent snapshots"),
    "sql_console?q=select+plan_type,+count(*)+as+plans,+min(monthly_cost_usd)+as+cheapest_usd+from+plans+group+by+all":
        ("sql", "rows in"),
}
# Wait until Streamlit has finished the run: no status widget, no skeletons, every chart drawn.
RENDERED_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'))"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    def serving() -> bool:
        assert process.poll() is None, "vultr-catalog serve exited early"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(serving, timeout_s, what=f"the dashboard at {url}")


@contextlib.contextmanager
def serving_dashboard(data_dir: Path) -> Iterator[str]:
    """`vultr-catalog serve` on data_dir at a free port: its URL (no trailing slash) once it answers; on exit
    serve and the Streamlit process it started are stopped."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--data-dir",
                                str(data_dir)], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # serve and the streamlit process group it started
        process.wait(timeout=20)


def render_page(page, server: str, path: str) -> None:
    """Open a dashboard page, wait for its data text and a finished run; no exception shown."""
    _, text = PAGES[path]
    page.goto(f"{server}/{path}")
    page.get_by_text(text).first.wait_for(timeout=DEADLINE_MS)
    page.wait_for_function(RENDERED_JS, timeout=DEADLINE_MS)
    assert page.locator('[data-testid="stException"]').count() == 0, f"an exception on {path}"
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, f"an error on {path}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def priced_history(tmp_path_factory) -> Path:
    """20 daily snapshots of the emulator's timeline: base and regional prices change in them (the
    2-day demo_dir has none). Built once per worker (about 20 s)."""
    from pipeline.service.demo import build_demo_history

    target = tmp_path_factory.mktemp("priced-history") / "data"
    build_demo_history(target, days=20, step_h=24)
    return target
