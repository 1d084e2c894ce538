"""Named, parameterized reads over the published catalog, shared by the CLI, the app and notebooks.

Each submodule owns one family of questions; everything public is re-exported here, so callers
write `from pipeline import queries; queries.cheapest(con, ...)`.

The read side: opening the published catalog, named queries, output formatting, export and status
reading. It imports only the shared leaves (errors, config, paths, sql, durations, lock, secrets, state,
entities); never the warehouse, collect, HTTP, the service or the CLI (an import-linter contract in
pyproject.toml holds this). app/ imports only this package: what it needs from the leaves is
re-exported here. Importing it loads neither pandas nor pyarrow: functions that return DataFrames
import them on first use.
"""
# The submodules come first: importing pipeline.queries.catalog binds the *module* to the package
# attribute `catalog`, which the core import below then rebinds to the catalog() context manager.
from pipeline.config import default_data_dir
from pipeline.durations import format_duration
from pipeline.entities import ENTITY_NAMES, describe_change
from pipeline.errors import CatalogError, DamagedFileError, first_line, looks_damaged
from pipeline.paths import catalog_path
from pipeline.queries.catalog import (
    STOCK_STATUSES,
    availability_matrix,
    cheapest_per_region,
    freshness,
    operating_systems,
    plans,
    regions,
    snapshots,
)
from pipeline.queries.console import ConsoleResult, open_console, public_columns, run_console
from pipeline.queries.core import (
    ANY_REGION,
    PlanFilter,
    Rows,
    catalog,
    catalog_version,
    cheapest,
    cheapest_rows,
    check_continent,
    check_plan_type,
    check_region,
    damaged_catalog,
    frame,
    history_start,
    is_demo,
    open_catalog,
    plan_types,
    region_ids,
    rows,
    run_sql,
)
from pipeline.queries.fleet import fleet_costs, fleet_totals
from pipeline.queries.fleet import total_line as fleet_total_line
from pipeline.queries.formatting import money_text
from pipeline.queries.gpu import unjudged_gpu_plans, unjudged_note, unknown_gpu_plans
from pipeline.queries.history import change_count, changes, latest_price_change, price_history, stock_history, stock_summary
from pipeline.queries.outlook import outlook_sentence, outlooks_at, readable_stock_outlook, stock_outlook
from pipeline.queries.prices import plan_prices, schema_drift
from pipeline.queries.sandbox_worker import prewarm as prewarm_console
from pipeline.queries.shape import one_per_plan, one_per_plan_frame
from pipeline.queries.staleness import DEFAULT_STALE_AFTER_S, Staleness, staleness
from pipeline.queries.statement_check import ConsoleError
from pipeline.state import read_state

__all__ = [
    "ANY_REGION",
    "DEFAULT_STALE_AFTER_S",
    "ENTITY_NAMES",
    "STOCK_STATUSES",
    "CatalogError",
    "ConsoleError",
    "ConsoleResult",
    "DamagedFileError",
    "PlanFilter",
    "Rows",
    "Staleness",
    "availability_matrix",
    "catalog",
    "catalog_path",
    "catalog_version",
    "change_count",
    "changes",
    "cheapest",
    "cheapest_per_region",
    "cheapest_rows",
    "check_continent",
    "check_plan_type",
    "check_region",
    "damaged_catalog",
    # leaves re-exported for app/, which imports only this package
    "default_data_dir",
    "describe_change",
    "first_line",
    "fleet_costs",
    "fleet_total_line",
    "fleet_totals",
    "format_duration",
    "frame",
    "freshness",
    "history_start",
    "is_demo",
    "latest_price_change",
    "looks_damaged",
    "money_text",
    "one_per_plan",
    "one_per_plan_frame",
    "open_catalog",
    "open_console",
    "operating_systems",
    "outlook_sentence",
    "outlooks_at",
    "plan_prices",
    "plan_types",
    "plans",
    "prewarm_console",
    "price_history",
    "public_columns",
    "read_state",
    "readable_stock_outlook",
    "region_ids",
    "regions",
    "rows",
    "run_console",
    "run_sql",
    "schema_drift",
    "snapshots",
    "staleness",
    "stock_history",
    "stock_outlook",
    "stock_summary",
    "unjudged_gpu_plans",
    "unjudged_note",
    "unknown_gpu_plans",
]
