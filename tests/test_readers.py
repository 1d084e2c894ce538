"""Readers always see the latest publish: DuckDB caches a database instance per file path in a
process, so a connection held open to catalog.duckdb would pin the replaced file for every later
`duckdb.connect(path)`. The read API attaches the file instead; these tests hold the bug's conditions."""
from __future__ import annotations

import subprocess
import sys

from pipeline import queries
from pipeline.collect.collector import collect
from tests.conftest import ROOT, fast_settings

# A second process: it holds one catalog connection open for its whole life (like a notebook) and
# answers each line on stdin with the newest snapshot id read through a fresh queries.catalog().
READER = """
import sys
from pipeline import queries
held = queries.open_catalog(sys.argv[1])
for _ in sys.stdin:
    with queries.catalog(sys.argv[1]) as con:
        print(queries.freshness(con)["last_ok_snapshot_id"], flush=True)
held.close()
"""


def newest(con) -> int:
    return queries.freshness(con)["last_ok_snapshot_id"]


def test_two_readers_in_one_process_see_every_publish(api, data_dir):
    settings = fast_settings(api, data_dir)
    first = collect(settings).snapshot_id
    held = queries.open_catalog(data_dir)  # a long-lived reader (a notebook, the dashboard's process)
    try:
        assert newest(held) == first
        second = collect(settings).snapshot_id  # publish: os.replace of catalog.duckdb
        with queries.catalog(data_dir) as fresh:
            assert newest(fresh) == second
        reopened = queries.open_catalog(data_dir)
        assert newest(reopened) == second
        reopened.close()
        assert newest(held) == first  # a held connection keeps its consistent old view until reopened
        with queries.open_console(data_dir) as console:
            assert newest(console) == second
    finally:
        held.close()


def test_a_reader_in_another_process_sees_every_publish(api, data_dir):
    settings = fast_settings(api, data_dir)
    first = collect(settings).snapshot_id
    reader = subprocess.Popen([sys.executable, "-c", READER, str(data_dir)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        reader.stdin.write("?\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == first
        second = collect(settings).snapshot_id
        reader.stdin.write("?\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == second
    finally:
        reader.stdin.close()
        assert reader.wait(timeout=30) == 0
