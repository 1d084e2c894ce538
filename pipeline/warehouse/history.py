"""Change-tracked history: merge one snapshot's staging tables into the *_history tables.

One row per version (valid_to NULL = current); a new row only when something changed; and one
catalog_changes row per added/removed entity or changed field. The SQL is generated from the
entity registry (pipeline.entities): only identifiers from code are formatted in, values are bound.
"""
from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.entities import ENTITIES, Entity
from pipeline.sql import fetch_value

__all__ = ["ENTITIES", "Entity", "attributes", "history_is_empty", "merge_entity"]


VALIDITY = ("valid_from", "valid_to")


_ATTRIBUTES: dict[str, list[str]] = {}


def attributes(con: duckdb.DuckDBPyConnection, entity: Entity) -> list[str]:
    """The history table's versioned columns (cached: the schema only changes with a release)."""
    if entity.history not in _ATTRIBUTES:
        _ATTRIBUTES[entity.history] = _read_attributes(con, entity)
    return _ATTRIBUTES[entity.history]


def _read_attributes(con: duckdb.DuckDBPyConnection, entity: Entity) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = 'main' and table_name = ? order by ordinal_position",
        [entity.history],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in entity.keys and r[0] not in VALIDITY]


def merge_entity(con: duckdb.DuckDBPyConnection, entity: Entity, snapshot_id: int,
                 at: datetime, record_changes: bool) -> int:
    """Merge the entity's staging into its history; return the catalog_changes rows recorded.
    (A stock poll's availability is merged by pipeline.warehouse.stock, in fewer statements.)"""
    attrs = attributes(con, entity)
    recorded = 0
    if record_changes:
        recorded = con.execute(_changes_sql(entity, attrs), {"at": at, "snapshot_id": snapshot_id}).fetchall()[0][0]
    same = " and ".join(f"s.{c} is not distinct from h.{c}" for c in (*entity.keys, *attrs))
    con.execute(
        f"update {entity.history} h set valid_to = $at where h.valid_to is null"
        f" and not exists (select 1 from {entity.staging} s where {same})",
        {"at": at},
    )
    keys = " and ".join(f"s.{c} = h.{c}" for c in entity.keys)
    columns = ", ".join((*entity.keys, *attrs))
    con.execute(
        f"insert into {entity.history} ({columns}, valid_from, valid_to)"
        f" select {', '.join('s.' + c for c in (*entity.keys, *attrs))}, $at, null from {entity.staging} s"
        f" where not exists (select 1 from {entity.history} h where h.valid_to is null and {keys})",
        {"at": at},
    )
    return int(recorded)


def _changes_sql(entity: Entity, attrs: list[str]) -> str:
    """added / removed / one `changed` row per field, comparing staging with the current versions."""
    keys = " and ".join(f"s.{c} = h.{c}" for c in entity.keys)
    region = f"cast({{t}}.{entity.region_id} as varchar)" if entity.region_id else "cast(null as varchar)"
    ident = f"cast({{t}}.{entity.entity_id} as varchar)"
    head = "select $snapshot_id, $at, '{e}', {ident}, {region}, '{kind}', {field}, {old}, {new}"
    current = f"(select * from {entity.history} h where valid_to is null)"
    parts = [
        head.format(e=entity.name, ident=ident.format(t="s"), region=region.format(t="s"), kind="added",
                    field="null", old="null", new="null")
        + f" from {entity.staging} s where not exists (select 1 from {current} h where {keys})",
        head.format(e=entity.name, ident=ident.format(t="h"), region=region.format(t="h"), kind="removed",
                    field="null", old="null", new="null")
        + f" from {current} h where not exists (select 1 from {entity.staging} s where {keys})",
    ]
    for attr in attrs:
        parts.append(
            head.format(e=entity.name, ident=ident.format(t="s"), region=region.format(t="s"), kind="changed",
                        field=f"'{attr}'", old=f"cast(h.{attr} as varchar)", new=f"cast(s.{attr} as varchar)")
            + f" from {entity.staging} s join {current} h on {keys} where s.{attr} is distinct from h.{attr}"
        )
    return "insert into catalog_changes " + " union all ".join(parts)


def history_is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    anything = " or ".join(f"exists (select 1 from {e.history})" for e in ENTITIES)
    return not fetch_value(con, f"select {anything}")
