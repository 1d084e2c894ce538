"""The files of a data directory, named once (a leaf: imports nothing from pipeline)."""
from __future__ import annotations

from pathlib import Path

WAREHOUSE_FILE = "warehouse.duckdb"  # the collector's private store, read-write, one process
CATALOG_FILE = "catalog.duckdb"  # the published read catalog, replaced atomically
STATE_FILE = "collector-state.json"  # what `status` needs that the catalog cannot hold
LOCK_FILE = "collector.lock"  # the single-writer lock


def warehouse_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / WAREHOUSE_FILE


def catalog_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / CATALOG_FILE


def state_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / STATE_FILE


def lock_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / LOCK_FILE
