"""What staging knows beside the API's answers: the packaged GPU facts (data/gpu_facts.json, sourced
there) set up on the connection before the plans are staged."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline.sql import columns_select

GPU_FACTS = Path(__file__).resolve().parent / "data" / "gpu_facts.json"

_PLAN_TYPES = {"plan_id": "varchar", "gpu_brand": "varchar", "gpu_type": "varchar", "gpu_count": "decimal(18, 6)",
               "gpu_vram_gb": "integer"}
_SEGMENT_TYPES = {"segment": "varchar", "gpu_brand": "varchar", "gpu_type": "varchar", "vram_gb": "integer"}


@cache
def gpu_facts() -> dict[str, Any]:
    """The packaged table: `plans` (known plans' GPU facts) and `vram_per_gpu` (by plan-id segment)."""
    facts: dict[str, Any] = json.loads(GPU_FACTS.read_text(encoding="utf-8"))
    return facts


def prepare_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables _gpu_plan_facts and _gpu_vram_per_gpu (the rules' macros staging calls, cpu_allocation
    and is_for_sale, are defined on every warehouse connection: pipeline.warehouse.store.open_warehouse)."""
    facts = gpu_facts()
    _temp_table(con, "_gpu_plan_facts", _PLAN_TYPES, facts["plans"])
    _temp_table(con, "_gpu_vram_per_gpu", _SEGMENT_TYPES, facts["vram_per_gpu"])


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, types: dict[str, str], items: list[dict[str, Any]]) -> None:
    con.execute(f"create or replace temp table {name} as {columns_select(types)}",
                {column: [item[column] for item in items] for column in types})
