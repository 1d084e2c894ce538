"""Named, parameterized reads over the published catalog, shared by the CLI, the app and notebooks.

Each submodule owns one family of questions; everything public is re-exported here, so callers
write `from pipeline import queries; queries.cheapest(con, ...)`.
"""
from pipeline.queries.core import (
    PlanFilter,
    catalog,
    check_region,
    cheapest,
    frame,
    open_catalog,
    region_ids,
    run_sql,
)

__all__ = ["PlanFilter", "catalog", "check_region", "cheapest", "frame", "open_catalog", "region_ids", "run_sql"]
