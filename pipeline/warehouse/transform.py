"""Apply one snapshot: raw bodies -> typed staging (v1 and v2 meet one contract) -> quality gate -> history."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipeline.entities import ENTITIES, Entity
from pipeline.errors import AnomalyError, CatalogError, first_line
from pipeline.sql import columns_select, load_sql
from pipeline.warehouse import facts, feeds, history, holds, stock
from pipeline.warehouse.holds import HoldOutcome
from pipeline.warehouse.requestlog import AVAILABILITY, RequestKey, latest_applied_bodies, snapshot_bodies
from pipeline.warehouse.store import Answer, load_snapshot_bodies, path_region, snapshot_body_rows

log = logging.getLogger(__name__)
# When none of an entity's source endpoints (pipeline.entities) changed since the answers the history
# was applied from, the entity's staging equals its current history and its merge is skipped (the hot
# path: most polls change nothing, most hours only some regions' availability).


# Unchanged entities are not merged; only these of their staging tables are read (the quality gate
# counts plans, regions, operating systems and in-stock pairs; v1 availability maps DCIDs through
# regions), so only these are copied from the current history.
CARRIED_OVER = ("stg_regions", "stg_plans", "stg_availability", "stg_operating_systems")


@dataclass
class ApplyResult:
    is_applied: bool = False        # False: the answers equal those the history was applied from
    is_baseline: bool = False
    change_count: int = 0
    anomalies: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what staging dropped or resolved, reported
    holds: HoldOutcome = field(default_factory=HoldOutcome)  # regions held as suspect, or resolved


def changed_entities(bodies: dict[RequestKey, int], api_version: str, kind: str,
                     applied_rows: list[tuple[RequestKey, int]]) -> set[str]:
    """Entities derived from an endpoint (pipeline.warehouse.feeds) whose answers differ from those the
    history was applied from (`applied_bodies`). A full snapshot answers for every endpoint (one it no
    longer asked, e.g. availability when the region list came back empty, changed too); a stock poll only
    for what it asked."""
    applied: dict[str, set[tuple[RequestKey, int]]] = {}
    for (e, p, q), b in applied_rows:
        applied.setdefault(e, set()).add(((e, p, q), b))
    asked: dict[str, set[tuple[RequestKey, int]]] = {}
    for key, body_id in bodies.items():
        asked.setdefault(key[0], set()).add((key, body_id))
    considered = set(asked) | (set(applied) if kind == "full" else set())
    changed = {endpoint for endpoint in considered if applied.get(endpoint) != asked.get(endpoint)}
    return {entity.name for entity in ENTITIES if feeds.sources(entity.name, api_version) & changed}


def applied_bodies(con: duckdb.DuckDBPyConnection, snapshot_id: int, kind: str,
                   previous_bodies: dict[RequestKey, int] | None = None) -> list[tuple[RequestKey, int]]:
    """(request, body_id) of the answers the history was applied from, for what a snapshot of `kind`
    compares. Availability's are those of the latest snapshot whose history stands (ok, or failed only
    at publishing: status.history_stands; `previous_bodies` if the caller has them): each such
    snapshot leaves the availability history reflecting its answers, applied or equal to the applied
    ones. The other endpoints' are in `_applied_bodies`, written by full snapshots only: a
    stock poll, which asks availability alone, reads and writes nothing there (a minute cadence
    saves the three statements)."""
    if previous_bodies is None:
        previous_bodies = latest_applied_bodies(con, snapshot_id)
    rows = [(key, body_id) for key, body_id in previous_bodies.items() if key[0] == AVAILABILITY]
    if kind == "full":
        rows += [((e, p, q), b) for e, p, q, b in con.execute(
            "select endpoint, path, params, body_id from _applied_bodies").fetchall()]
    return rows


def record_applied(con: duckdb.DuckDBPyConnection, bodies: dict[RequestKey, int]) -> None:
    """The history now reflects a full snapshot's answers (availability's: see applied_bodies)."""
    kept = {key: body_id for key, body_id in bodies.items() if key[0] != AVAILABILITY}
    con.execute("delete from _applied_bodies")
    types = {"endpoint": "varchar", "path": "varchar", "params": "varchar", "body_id": "integer"}
    con.execute(f"insert into _applied_bodies by name {columns_select(types)}",
                {"endpoint": [k[0] for k in kept], "path": [k[1] for k in kept],
                 "params": [k[2] for k in kept], "body_id": list(kept.values())})


def build_staging(con: duckdb.DuckDBPyConnection, api_version: str, entities: set[str] | None = None) -> None:
    """One temp table per staging model: from `_snapshot_bodies` for the given entities (default all),
    else a copy of the current history (identical bodies would stage identical rows). A v1 snapshot
    always stages its regions (they map DCIDs). (A stock poll stages nothing: pipeline.warehouse.stock.)"""
    facts.prepare_staging(con)
    if api_version == "v2" and (entities is None or "plan" in entities):
        check_needed_fields(con)  # before staging: what an answer needs and cannot be read, named
    for entity in ENTITIES:
        v1_regions = entity.staging == "stg_regions" and api_version == "v1"
        if entities is None or entity.name in entities or v1_regions:
            _stage_from_bodies(con, entity.staging, api_version)
        elif entity.staging in CARRIED_OVER:
            _carry_over(con, entity, "create or replace temp table")


def _carry_over(con: duckdb.DuckDBPyConnection, entity: Entity, create: str) -> None:
    """Stage an unchanged entity as a copy of its current history (what its bodies would stage)."""
    con.execute(f"{create} {entity.staging} as "
                f"select * exclude (valid_from, valid_to) from {entity.history} where valid_to is null")


def _stage_from_bodies(con: duckdb.DuckDBPyConnection, model: str, api_version: str) -> None:
    sql = load_sql(f"warehouse/sql/staging/{api_version}/{model}.sql")
    try:
        con.execute(f"create or replace temp table {model} as {sql}")
    except duckdb.Error as exc:
        raise CatalogError(f"normalizing {model.removeprefix('stg_')}: {first_line(exc)}") from None


def tidy_staging(con: duckdb.DuckDBPyConnection, api_version: str) -> list[str]:
    """Drop availability that names a plan absent from the catalog (never shown as in stock) and
    report ids repeated within a listing (staging kept the first page's item); one line per kind.
    (A stock poll tidies in stock.read_poll.)"""
    warnings = []
    unknown = con.execute("delete from stg_availability where plan_id not in (select plan_id from stg_plans)"
                          " returning plan_id").fetchall()
    if unknown:
        warnings.append(stock.dropped_warning([r[0] for r in unknown]))
    if api_version == "v2":
        warnings += [r[0] for r in con.execute(load_sql("warehouse/sql/checks/duplicate_ids.sql")).fetchall()]
    for warning in warnings:
        log.warning("staging: %s", warning)
    return warnings


def find_anomalies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reasons this snapshot looks implausible next to the current catalog (empty list = fine).
    (A stock poll's gate is in stock.read_poll.)"""
    for entity in ENTITIES:  # the gate reads every staging table: an unstaged one is unchanged
        _carry_over(con, entity, "create temp table if not exists")
    return [row[0] for row in con.execute(load_sql("warehouse/sql/checks/anomalies.sql")).fetchall()]


def apply_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, at: datetime,
                   accept_anomalies: bool = False,
                   before_commit: Callable[[ApplyResult], None] | None = None,
                   own_transaction: bool = True, kind: str = "full",
                   bodies: dict[RequestKey, int] | None = None, answers: list[Answer] | None = None,
                   previous_bodies: dict[RequestKey, int] | None = None,
                   active_holds: frozenset[str] | None = None) -> ApplyResult:
    """Merge a stored snapshot into history in one transaction (with `before_commit`, e.g. marking the
    snapshot ok, inside it) unless its answers equal those already applied; raise AnomalyError if the
    gate rejects it. `own_transaction=False` when the caller holds one (rebuild replays everything in
    a single transaction). `bodies` (body ids) and `answers` (bytes): the snapshot's 200 answers if the
    caller has them, as `store_calls` returns them (else read back from raw); `previous_bodies`: the
    200 answers of the latest snapshot before this one whose history stands, if the caller has them
    (else read); `active_holds`: the regions held as suspect now (else read)."""
    bodies = bodies if bodies is not None else snapshot_bodies(con, snapshot_id)
    if not bodies:
        raise CatalogError(f"snapshot {snapshot_id} has no stored bodies")
    applied = applied_bodies(con, snapshot_id, kind, previous_bodies)
    active = holds.active_holds(con) if active_holds is None else active_holds
    if active:  # a held region's answer was not applied: it is judged again, equal to the last one or not
        applied = [(key, body_id) for key, body_id in applied if not _is_held(key, active)]
    entities = changed_entities(bodies, api_version, kind, applied)
    if not entities:  # the hot path of a minute cadence: one statement, no transaction needed
        result = ApplyResult()
        if before_commit:
            before_commit(result)
        return result
    if own_transaction:
        con.execute("begin")
    try:
        result = _apply(con, snapshot_id, api_version, at, accept_anomalies, kind, bodies, entities, set(applied),
                        answers, active)
        if before_commit:
            before_commit(result)
    except BaseException:
        if own_transaction:
            con.execute("rollback")
        raise
    if own_transaction:
        con.execute("commit")
    return result


def _is_held(key: RequestKey, active: frozenset[str]) -> bool:
    """Whether an availability request asks about a held region (v1 asks every region at once by DCID:
    all of v1's availability is judged again while any region is held)."""
    if key[0] != AVAILABILITY:
        return False
    region = path_region(key[1])
    return region is None or region in active


def _apply(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, at: datetime,
           accept_anomalies: bool, kind: str, bodies: dict[RequestKey, int], entities: set[str],
           applied: set[tuple[RequestKey, int]], answers: list[Answer] | None, active: frozenset[str]) -> ApplyResult:
    if kind == "stock":
        result = _apply_stock(con, snapshot_id, api_version, at, accept_anomalies, bodies, applied, answers, active)
        holds.record(con, snapshot_id, at, result.holds)
        return result
    stock.check_answers(load_snapshot_bodies(con, snapshot_id, answers=answers), api_version)
    build_staging(con, api_version, entities)
    result = ApplyResult(is_applied=True, is_baseline=history.history_is_empty(con),
                         warnings=tidy_staging(con, api_version))
    result.anomalies = [] if result.is_baseline else find_anomalies(con)
    _gate(result, accept_anomalies)
    if "availability" in entities and not result.is_baseline:
        result.holds = holds.hold_staged(con, api_version, active)
        result.warnings += result.holds.warnings()
        holds.record(con, snapshot_id, at, result.holds)
    for entity in ENTITIES:
        if entity.name in entities:
            result.change_count += history.merge_entity(con, entity, snapshot_id, at,
                                                        record_changes=not result.is_baseline)
    # the fields' record reads every answer's JSON structure (tens of ms): only when the catalog's plans,
    # regions or OS changed, not on each availability change; the availability answer's shape is
    # recorded with them
    if api_version == "v2" and entities & {"plan", "region", "operating_system"}:
        record_api_fields(con, snapshot_id, at)
    record_applied(con, bodies)
    return result


def _apply_stock(con: duckdb.DuckDBPyConnection, snapshot_id: int, api_version: str, at: datetime,
                 accept_anomalies: bool, bodies: dict[RequestKey, int], applied: set[tuple[RequestKey, int]],
                 answers: list[Answer] | None, active: frozenset[str]) -> ApplyResult:
    """A stock poll changes availability only (its asked endpoints feed no other entity)."""
    # v2: only the regions whose answer changed: an unchanged answer stages what its region's current
    # history holds (availability is restaged whole whenever the plans change, see pipeline.entities)
    only = {k for k, b in bodies.items() if (k, b) not in applied} if api_version == "v2" else None
    rows = snapshot_body_rows(con, snapshot_id, only, answers)
    answered = stock.answered_pairs(rows, api_version)
    keys = [key for endpoint, key in zip(rows["endpoint"], rows["region_key"]) if endpoint == AVAILABILITY]
    poll = stock.read_poll(con, answered, sorted(set(rows["region_key"])) if api_version == "v2" else None, keys, active)
    result = ApplyResult(is_applied=True, warnings=poll.warnings, anomalies=poll.anomalies, holds=poll.holds)
    _gate(result, accept_anomalies)
    result.change_count = stock.record(con, snapshot_id, at, poll)
    return result


def _gate(result: ApplyResult, accept_anomalies: bool) -> None:
    if result.anomalies and not accept_anomalies:
        raise AnomalyError("snapshot rejected by the quality gate: " + "; ".join(result.anomalies)
                           + " (collect --accept-anomalies applies it anyway)")


def check_needed_fields(con: duckdb.DuckDBPyConnection) -> None:
    """Reject the snapshot (one line naming the endpoint, the item's index, the plan and the field) when
    a v2 plan lacks a field an answer needs or sends one that cannot be read: id, monthly price (regional
    ones too), RAM, vCPUs, locations. Every other field only describes a plan: unreadable, it is NULL and schema drift."""
    rows = con.execute(load_sql("warehouse/sql/checks/unreadable_fields.sql")).fetchall()
    if rows:
        endpoint, index, plan_id, field_name, sent, count = rows[0]
        more = f"; {count - 1} more unreadable field(s)" if count > 1 else ""
        where = f"GET /{endpoint.replace('_', '-')} item {index}"  # the index within its page, from 0
        raise AnomalyError(f"snapshot rejected: {where}: plan {plan_id}: field `{field_name}` cannot be read "
                           f"(sent {sent[:60]}){more}")


def record_api_fields(con: duckdb.DuckDBPyConnection, snapshot_id: int, at: datetime) -> None:
    """Remember each field path and JSON type the API sends (every endpoint read, one level down) the
    first time it does: the `schema_drift` view names the fields the model does not know and the type
    changes. Neither ever fails a snapshot; the answer stays in raw."""
    _stage_from_bodies(con, "stg_api_fields", "v2")
    con.execute("insert into api_fields (entity, field, first_snapshot_id, first_seen_at, json_type, item_count)"
                " select s.entity, s.field, $snapshot_id, $at, s.json_type, s.item_count from stg_api_fields s"
                " where not exists (select 1 from api_fields a where a.entity = s.entity and a.field = s.field"
                " and a.json_type is not distinct from s.json_type)",
                {"snapshot_id": snapshot_id, "at": at})
