"""`vultr-catalog site --serve`: preview the site over HTTP from its folder (Python's own static server).

Each request resolves the site's link anew, so a rebuild shows on the next reload. Ctrl-C (SIGINT) or SIGTERM
stops it, even where the shell that started it ignores SIGINT (a background job)."""
from __future__ import annotations

import functools
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)


def site_server(out: Path | str, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = functools.partial(_Quiet, directory=str(Path(out).absolute()))
    return ThreadingHTTPServer((host, port), handler)


def serve_site(out: Path | str, port: int = 8000, host: str = "127.0.0.1",
               announce: Callable[[str], None] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; return 0."""
    server = site_server(out, port, host)
    url = f"http://{host}:{server.server_address[1]}/"
    if announce:
        announce(url)
    try:
        with _interrupted_by_signals():
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _interrupted_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM interrupt the main thread while serving (handlers restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
