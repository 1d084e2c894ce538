"""Hardening (issue 26): `repair` never loses applied history. A history of full collections and stock
polls over loopback, then the warehouse is cut or garbled four ways (and cut near its end, where the
snapshot rows survive but the request log does not: the case that once emptied every history table).
After `repair`, catalog_changes and every history table equal what was published before, and the
next collection continues that history exactly as an undamaged warehouse does (no new baseline)."""
from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.collect.collector import collect
from pipeline.entities import HISTORY_TABLES
from pipeline.fakeapi import FakeVultr, Timeline
from pipeline.paths import catalog_path, warehouse_path
from tests.conftest import fast_settings, file_digest

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = ("catalog_changes", *HISTORY_TABLES)
NEXT_AT = T0 + timedelta(days=40)


@pytest.fixture(scope="module")
def emulator():
    with FakeVultr(timeline=Timeline(seed=7, start_at=T0), rate_limit=False).start() as api:
        yield api


@pytest.fixture(scope="module")
def history(emulator, tmp_path_factory) -> Path:
    """Five full collections 8 days apart, two stock polls after each: changes of every kind."""
    data_dir = tmp_path_factory.mktemp("history") / "data"
    settings = fast_settings(emulator, data_dir, requests_per_second=500)
    for day in range(0, 40, 8):
        collect(settings, at=T0 + timedelta(days=day), kind="full")
        for hours in (12, 36):
            collect(settings, at=T0 + timedelta(days=day, hours=hours), kind="stock")
    return data_dir


def cut(fraction: float):
    def damage(path: Path) -> None:
        with open(path, "r+b") as f:
            f.truncate(int(path.stat().st_size * fraction))
    return damage


def zero_header(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(b"\0" * 4096)


def garble_middle(path: Path) -> None:
    size = path.stat().st_size
    noise = random.Random(26).randbytes(size // 10)
    with open(path, "r+b") as f:
        f.seek(size * 2 // 5)
        f.write(noise)


DAMAGES = {"half-truncated": cut(0.5), "quarter-truncated": cut(0.25), "zeroed-header": zero_header,
           "garbled-middle": garble_middle, "tail-cut": cut(0.9)}


def published(data_dir: Path) -> dict[str, list[tuple]]:
    """Every history table and catalog_changes of the published catalog, rows sorted."""
    with duckdb.connect(str(catalog_path(data_dir)), read_only=True) as con:
        return {table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr) for table in TABLES}


def without_snapshot_ids(rows: list[tuple], data_dir: Path, table: str) -> list[tuple]:
    """catalog_changes rows without their snapshot id (a repaired warehouse and a control may number the
    next snapshot alike, but the comparison should not depend on it)."""
    if table != "catalog_changes":
        return rows
    with duckdb.connect(str(catalog_path(data_dir)), read_only=True) as con:
        names = [row[0] for row in con.execute("describe catalog_changes").fetchall()]
    keep = [i for i, name in enumerate(names) if name != "snapshot_id"]
    return sorted((tuple(row[i] for i in keep) for row in rows), key=repr)


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_repair_keeps_every_history_row_and_the_next_collection_continues(history, emulator, tmp_path, cli, damage):
    before = published(history)
    assert len(before["catalog_changes"]) > 50 and all(before[table] for table in HISTORY_TABLES)
    data_dir, control = tmp_path / "data", tmp_path / "control"
    shutil.copytree(history, data_dir)
    shutil.copytree(history, control)
    DAMAGES[damage](warehouse_path(data_dir))

    run = cli("repair", "--data-dir", str(data_dir))
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.strip().splitlines()  # one line: what was kept, what was lost
    assert line.startswith("repaired: ") and "the damaged file is kept as" in line
    assert published(data_dir) == before

    for target in (data_dir, control):
        result = collect(fast_settings(emulator, target, requests_per_second=500), at=NEXT_AT, kind="full")
        assert not result.is_baseline
    after, expected = published(data_dir), published(control)
    assert len(expected["catalog_changes"]) > len(before["catalog_changes"])  # the next collection changed things
    for table in TABLES:
        assert (without_snapshot_ids(after[table], data_dir, table)
                == without_snapshot_ids(expected[table], control, table)), table


def test_a_repair_that_fails_changes_nothing(history, tmp_path, cli):
    data_dir = tmp_path / "data"
    shutil.copytree(history, data_dir)
    cut(0.5)(warehouse_path(data_dir))
    damaged, catalog = file_digest(warehouse_path(data_dir)), file_digest(catalog_path(data_dir))
    (data_dir / ".warehouse.duckdb.repair.tmp.wal").mkdir()  # the repaired warehouse cannot be written
    run = cli("repair", "--data-dir", str(data_dir))
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("Error: repair failed (") and "nothing was changed" in line
    assert file_digest(warehouse_path(data_dir)) == damaged
    assert file_digest(catalog_path(data_dir)) == catalog
    assert "Is a directory" in line and ".warehouse.duckdb.repair.tmp.wal" in line
    assert sorted(p.name for p in data_dir.iterdir() if "warehouse" in p.name and p.is_file()) == ["warehouse.duckdb"]
