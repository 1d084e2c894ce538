"""A stdlib-only emulator of the Vultr API (v1 and v2 catalog endpoints).

It is an independent model of Vultr and imports nothing else from ``pipeline``: if the
emulator shared parsing code with the client, a bug in that code would pass every test.
See README.md in this directory for behaviour, provenance and the ``X-Fake-Now`` header.
"""

from .faults import Fault
from .server import FakeVultr, RequestRecord, serve_forever
from .timeline import Timeline

__all__ = ["FakeVultr", "Fault", "RequestRecord", "Timeline", "serve_forever"]
