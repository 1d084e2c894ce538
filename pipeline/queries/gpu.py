"""GPU plans whose GPU facts are unknown: what a GPU filter cannot judge, named instead of dropped."""
from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pipeline.queries.core import PlanFilter
from pipeline.sql import load_sql, optional_lines


def unknown_gpu_plans(con: duckdb.DuckDBPyConnection, at: datetime | None = None,
                      plan_type: str | None = None) -> list[str]:
    """Ids of the GPU plans (as of `at`, default now) with no known GPU type or VRAM."""
    params = {"ts": at or datetime.now(UTC), "plan_type": plan_type}
    rows = con.execute(*optional_lines(load_sql("queries/sql/unknown_gpu_plans.sql"), params)).fetchall()
    return [r[0] for r in rows]


def unjudged_gpu_plans(con: duckdb.DuckDBPyConnection, f: PlanFilter) -> list[str]:
    """The plans a GPU filter (gpu_type, min_gpu_vram_gb) of `f` could not judge; none without one."""
    if f.gpu_type is None and f.min_gpu_vram_gb is None:
        return []
    return unknown_gpu_plans(con, f.at, f.plan_type)


def unjudged_note(plan_ids: list[str]) -> str:
    """One line: how many GPU plans a GPU filter left out for want of facts, and which."""
    plural = "plan" if len(plan_ids) == 1 else "plans"
    return (f"{len(plan_ids)} GPU {plural} could not be judged by the GPU filter (GPU facts unknown): "
            + ", ".join(plan_ids))
