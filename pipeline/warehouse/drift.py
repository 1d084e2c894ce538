"""Schema drift: which API fields the model reads, derived from the v2 staging models themselves.

A field is known when a staging model reads it (`item ->> 'ram'`, `cost ->> 'monthly_cost'` for the
entries of `location_cost`, `doc -> 'available_plans'` for the availability answer), so a model that
starts reading a field stops reporting it, with no list kept by hand. Publish writes the result into
the catalog's private `_known_api_fields`, which the `schema_drift` view compares with `api_fields`
(every field path and JSON type the API has sent; recorded by pipeline.warehouse.transform).
"""
from __future__ import annotations

import re
from functools import cache

import duckdb

from pipeline.sql import columns_select, load_sql

# staging model -> the api_fields entities its `item` is, and where its other JSON variables sit
MODEL_ENTITIES: dict[str, tuple[str, ...]] = {
    "stg_plans": ("plan", "plan_metal"),
    "stg_plan_locations": ("plan", "plan_metal"),
    "stg_plan_prices": ("plan", "plan_metal"),
    "stg_regions": ("region",),
    "stg_operating_systems": ("os",),
    "stg_availability": ("availability",),
}
PREFIXES = {"item": "", "cost": "location_cost.*.", "doc": ""}  # `doc` only where the answer is the entity
# Fields whose JSON type varies by design (SHAPE-2026.md): not a type change.
VARIANT_TYPES: dict[str, tuple[str, ...]] = {
    "gpu_count": ("NUMBER", "VARCHAR"),     # whole GPUs a number, a share a string fraction ("1/4")
    "clusterable": ("VARCHAR", "BOOLEAN"),  # "yes" / "no" in 2026 recordings
}
ACCESS = re.compile(r"\b(item|cost|doc)\s*->>?\s*'([A-Za-z0-9_]+)'")


@cache
def known_fields() -> tuple[tuple[str, str], ...]:
    """(entity, field path) for every field a v2 staging model reads; arrays' elements as `field[]`."""
    known: set[tuple[str, str]] = set()
    for model, entities in MODEL_ENTITIES.items():
        for variable, name in ACCESS.findall(load_sql(f"warehouse/sql/staging/v2/{model}.sql")):
            if variable == "doc" and entities != ("availability",):
                continue
            for entity in entities:
                known |= {(entity, PREFIXES[variable] + name), (entity, PREFIXES[variable] + name + "[]")}
    return tuple(sorted(known))


def write_known_fields(con: duckdb.DuckDBPyConnection) -> None:
    """The catalog's `_known_api_fields` (entity, field, json_types: the types a field may vary between)."""
    rows = known_fields()
    types = {"entity": "varchar", "field": "varchar", "json_types": "varchar[]"}
    con.execute(f"create or replace table _known_api_fields as {columns_select(types)}",
                {"entity": [e for e, _ in rows], "field": [f for _, f in rows],
                 "json_types": [list(VARIANT_TYPES.get(f, ())) for _, f in rows]})
