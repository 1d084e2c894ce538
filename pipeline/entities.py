"""The catalog's entities, named once (a leaf: imports nothing from pipeline).

Each entity: its `catalog_changes.entity` name, key columns, staging model, history table, the
entities it is restaged with, and how a change to it reads. History, transform,
rebuild, publish, the alert rules and wording, and the dashboard's change feed all use this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHANGE_TYPES = ("added", "removed", "changed")


@dataclass(frozen=True)
class Entity:
    name: str                 # catalog_changes.entity
    history: str              # history table
    staging: str              # staging model (temp table and warehouse/sql/staging/<v>/<staging>.sql)
    keys: tuple[str, ...]
    entity_id: str            # key column reported as catalog_changes.entity_id
    region_id: str | None     # key column reported as catalog_changes.region_id
    added: str = "added"      # wording of an added / removed event
    removed: str = "removed"
    # entities whose endpoints restage it too, beyond those its staging model reads (the endpoints an
    # entity is derived from are read from the staging models: pipeline.warehouse.feeds)
    restaged_with: tuple[str, ...] = ()


ENTITIES = (
    Entity("region", "regions_history", "stg_regions", ("region_id",), "region_id", "region_id"),
    Entity("plan", "plans_history", "stg_plans", ("plan_id",), "plan_id", None),
    Entity("operating_system", "operating_systems_history", "stg_operating_systems", ("os_id",), "os_id", None),
    Entity("plan_location", "plan_locations_history", "stg_plan_locations", ("plan_id", "region_id"),
           "plan_id", "region_id", added="now offered", removed="no longer offered"),
    # availability keeps only pairs of known plans (tidy_staging): a plan change restages it whole
    Entity("availability", "availability_history", "stg_availability", ("region_id", "plan_id"),
           "plan_id", "region_id", added="back in stock", removed="sold out", restaged_with=("plan",)),
    # overrides are part of the plan objects (v1 has none: its model is empty), restaged with them
    Entity("plan_price", "plan_prices_history", "stg_plan_prices", ("plan_id", "region_id"), "plan_id", "region_id",
           restaged_with=("plan",)),
)
ENTITY_NAMES = tuple(e.name for e in ENTITIES)
HISTORY_TABLES = tuple(e.history for e in ENTITIES)
_BY_NAME = {e.name: e for e in ENTITIES}


def entity(name: str) -> Entity:
    return _BY_NAME[name]


def change_verb(entity_name: str, change_type: str, field_name: Any = None, old_value: Any = None,
                new_value: Any = None) -> str:
    """How a change reads: `back in stock`, `no longer offered`, `plan removed`,
    `plan changed: monthly_cost_usd 6.00 -> 7.00`."""
    known = _BY_NAME.get(entity_name)
    if known is not None and change_type in ("added", "removed") and getattr(known, change_type) != change_type:
        return str(getattr(known, change_type))
    verb = f"{entity_name.replace('_', ' ')} {change_type}"
    if change_type == "changed" and _present(field_name):
        verb += f": {field_name} {old_value} -> {new_value}"
    return verb


def describe_change(entity_name: str, entity_id: str, region_id: Any, change_type: str, field_name: Any = None,
                    old_value: Any = None, new_value: Any = None) -> str:
    """One readable line per catalog_changes row: `vhf-1c-1gb sold out in fra`."""
    where = f" in {region_id}" if _present(region_id) and entity_name != "region" else ""
    return f"{entity_id} {change_verb(entity_name, change_type, field_name, old_value, new_value)}{where}"


def _present(value: Any) -> bool:
    """Not None, NaN or pandas' NA (whose truth value raises), without importing pandas."""
    if value is None:
        return False
    try:
        return bool(value == value)
    except TypeError:
        return False
