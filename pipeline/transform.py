"""Apply one snapshot: raw bodies -> typed staging (v1 and v2 meet one contract) -> quality gate -> history."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipeline import history
from pipeline.errors import AnomalyError, CatalogError
from pipeline.sql import load_sql
from pipeline.warehouse import load_snapshot_bodies

log = logging.getLogger(__name__)
STAGING_MODELS = ("stg_regions", "stg_plans", "stg_plan_locations", "stg_availability", "stg_operating_systems")


@dataclass
class ApplyResult:
    is_baseline: bool = False
    change_count: int = 0
    anomalies: list[str] = field(default_factory=list)


def build_staging(con: duckdb.DuckDBPyConnection, api_version: str) -> None:
    """Create one temp table per staging model from `_snapshot_bodies`."""
    for model in STAGING_MODELS:
        try:
            con.execute(f"create or replace temp table {model} as " + load_sql(f"staging/{api_version}/{model}.sql"))
        except duckdb.Error as exc:
            raise CatalogError(f"normalizing {model.removeprefix('stg_')}: {_first_line(exc)}") from None


def find_anomalies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reasons this snapshot looks implausible next to the current catalog (empty list = fine)."""
    return [row[0] for row in con.execute(load_sql("checks/anomalies.sql")).fetchall()]


def apply_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str,
                   at: datetime, accept_anomalies: bool = False) -> ApplyResult:
    """Merge a stored snapshot into history in one transaction; raise AnomalyError if the gate rejects it."""
    con.execute("begin")
    try:
        result = _apply(con, snapshot_id, api_version, at, accept_anomalies)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return result


def _apply(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str,
           at: datetime, accept_anomalies: bool) -> ApplyResult:
    if load_snapshot_bodies(con, snapshot_id) == 0:
        raise CatalogError(f"snapshot {snapshot_id} has no stored bodies")
    build_staging(con, api_version)
    result = ApplyResult(is_baseline=history.history_is_empty(con))
    result.anomalies = [] if result.is_baseline else find_anomalies(con)
    if result.anomalies and not accept_anomalies:
        raise AnomalyError("snapshot rejected by the quality gate: " + "; ".join(result.anomalies)
                           + " (collect --accept-anomalies applies it anyway)")
    before = _change_count(con)
    for entity in history.ENTITIES:
        history.merge_entity(con, entity, snapshot_id, at, record_changes=not result.is_baseline)
    result.change_count = _change_count(con) - before
    return result


def _change_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select count(*) from catalog_changes").fetchone()[0])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
