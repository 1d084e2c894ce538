"""Collect: the one HTTP client, the v1/v2 sources (endpoints as data) and one collection.

Owns fetching and the collection's all-or-nothing flow. May import the shared leaves (errors,
config, calls, paths, sql, secrets) and the warehouse it writes to; never the read side's internals, the
service or the CLI. Sources and the client know nothing of DuckDB.
"""
