"""vultr-catalog: snapshots Vultr's public catalog into DuckDB with full change history.

The packages read as the data flows: collect/ (HTTP, sources, one collection) -> warehouse/ (raw,
staging, history, publish) -> queries/ (the read side: every reader goes through it) ; service/
runs it over time (schedule, state, alerts, demo, serve); cli/ is a thin shell over all of them;
fakeapi/ is the independent Vultr emulator. Leaves shared by all: errors, config, durations, calls,
paths, sql, lock, secrets.
"""

__version__ = "0.1.0"
