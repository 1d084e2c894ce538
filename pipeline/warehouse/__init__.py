"""Warehouse: the collector's private store. Raw bodies and the request log (rawstore, store),
staging and history (transform, history), publish, rebuild and repair, with their SQL beside them in sql/.

May import the shared leaves (errors, calls, paths, sql, lock, secrets); never HTTP (a fetched call arrives as a
plain `pipeline.calls.Call`), the read side, the service or the CLI.
"""
