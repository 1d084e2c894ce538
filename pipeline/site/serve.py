"""`vultr-catalog site --serve`: preview the site over HTTP from its folder (Python's own static server).

Each request resolves the site's link anew, so a rebuild shows on the next reload."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
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
    """Serve until interrupted (Ctrl-C); return 0."""
    server = site_server(out, port, host)
    url = f"http://{host}:{server.server_address[1]}/"
    if announce:
        announce(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
