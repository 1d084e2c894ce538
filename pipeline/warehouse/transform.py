"""Apply one snapshot: raw bodies -> typed staging (v1 and v2 meet one contract) -> quality gate -> history."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipeline.warehouse import history
from pipeline.errors import AnomalyError, CatalogError, first_line
from pipeline.sql import fetch_value, load_sql
from pipeline.warehouse.store import load_snapshot_bodies

log = logging.getLogger(__name__)
STAGING_MODELS = ("stg_regions", "stg_plans", "stg_plan_locations", "stg_availability", "stg_operating_systems")
# The endpoints each entity is derived from: when none of them changed since the previous applied
# snapshot, the entity's staging equals its current history and its merge is skipped (the hot path:
# most hours only some regions' availability moves). v1 maps DCIDs through the regions list.
SOURCES = {
    "v2": {"region": {"regions"}, "plan": {"plans", "plans_metal"}, "plan_location": {"plans", "plans_metal"},
           "availability": {"availability"}, "operating_system": {"os"}},
    "v1": {"region": {"regions"}, "plan": {"plans"}, "plan_location": {"plans", "regions"},
           "availability": {"availability", "regions"}, "operating_system": {"os"}},
}


@dataclass
class ApplyResult:
    is_baseline: bool = False
    change_count: int = 0
    anomalies: list[str] = field(default_factory=list)


def changed_entities(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str) -> set[str]:
    """Entities whose source bodies differ from the previous applied snapshot (all when there is none)."""
    sources = SOURCES[api_version]
    if not fetch_value(con, load_sql("warehouse/sql/checks/has_previous.sql"), [snapshot_id]):
        return set(sources)
    changed = {r[0] for r in con.execute(load_sql("warehouse/sql/checks/changed_endpoints.sql"), [snapshot_id] * 3).fetchall()}
    return {entity for entity, endpoints in sources.items() if endpoints & changed}


def build_staging(con: duckdb.DuckDBPyConnection, api_version: str, entities: set[str] | None = None) -> None:
    """One temp table per staging model: from `_snapshot_bodies` for the given entities (default all),
    else a copy of the current history (identical bodies would stage identical rows)."""
    for entity in history.ENTITIES:
        if entities is None or entity.name in entities or (entity.staging == "stg_regions" and api_version == "v1"):
            _stage_from_bodies(con, entity.staging, api_version)
        else:
            con.execute(f"create or replace temp table {entity.staging} as "
                        f"select * exclude (valid_from, valid_to) from {entity.history} where valid_to is null")


def _stage_from_bodies(con: duckdb.DuckDBPyConnection, model: str, api_version: str) -> None:
    try:
        con.execute(f"create or replace temp table {model} as " + load_sql(f"warehouse/sql/staging/{api_version}/{model}.sql"))
    except duckdb.Error as exc:
        raise CatalogError(f"normalizing {model.removeprefix('stg_')}: {first_line(exc)}") from None


def find_anomalies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reasons this snapshot looks implausible next to the current catalog (empty list = fine)."""
    return [row[0] for row in con.execute(load_sql("warehouse/sql/checks/anomalies.sql")).fetchall()]


def apply_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, at: datetime,
                   accept_anomalies: bool = False,
                   before_commit: Callable[[ApplyResult], None] | None = None,
                   own_transaction: bool = True) -> ApplyResult:
    """Merge a stored snapshot into history in one transaction (with `before_commit`, e.g. marking the
    snapshot ok, inside it); raise AnomalyError if the gate rejects it. `own_transaction=False` when
    the caller holds one (rebuild replays everything in a single transaction)."""
    if own_transaction:
        con.execute("begin")
    try:
        result = _apply(con, snapshot_id, api_version, at, accept_anomalies)
        if before_commit:
            before_commit(result)
    except BaseException:
        if own_transaction:
            con.execute("rollback")
        raise
    if own_transaction:
        con.execute("commit")
    return result


def _apply(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str,
           at: datetime, accept_anomalies: bool) -> ApplyResult:
    if load_snapshot_bodies(con, snapshot_id) == 0:
        raise CatalogError(f"snapshot {snapshot_id} has no stored bodies")
    entities = changed_entities(con, snapshot_id, api_version)
    build_staging(con, api_version, entities)
    result = ApplyResult(is_baseline=history.history_is_empty(con))
    result.anomalies = [] if result.is_baseline else find_anomalies(con)
    if result.anomalies and not accept_anomalies:
        raise AnomalyError("snapshot rejected by the quality gate: " + "; ".join(result.anomalies)
                           + " (collect --accept-anomalies applies it anyway)")
    before = _change_count(con)
    for entity in history.ENTITIES:
        if entity.name in entities:
            history.merge_entity(con, entity, snapshot_id, at, record_changes=not result.is_baseline)
    result.change_count = _change_count(con) - before
    return result


def _change_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(fetch_value(con, "select count(*) from catalog_changes"))

