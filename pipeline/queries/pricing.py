"""Prices derived from the catalog's, named so nobody mistakes them for the API's own."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pipeline.queries.formatting import is_missing

if TYPE_CHECKING:  # pyarrow loads on first use: the CLI's `cheapest` adds the estimate to plain rows
    import pyarrow as pa

HOURS_PER_MONTH_CAP = 672  # Vultr bills hourly up to a monthly cap of 672 hours (28 days)
ESTIMATE_PLACES = Decimal("0.0001")


def estimated_hourly(monthly: object, hourly: object) -> Decimal | None:
    """monthly / 672 h (Vultr's monthly cap), 4 places, only where the API gives no hourly price."""
    if not _missing(hourly) or _missing(monthly):
        return None
    return (Decimal(str(monthly)) / HOURS_PER_MONTH_CAP).quantize(ESTIMATE_PLACES, ROUND_HALF_UP)


def with_hourly_estimate_table(table: pa.Table) -> pa.Table:
    """Add `estimated_hourly_cost_usd` after hourly_cost_usd: filled only where the API gives no hourly
    price (hourly_cost_usd stays the API's, null there). The CLI, the dashboard and their downloads
    all show this one column, so an estimate is marked as one everywhere. Added to the Arrow result
    before it becomes a DataFrame: inserting a column into a DataFrame costs more than the estimate."""
    table = _preemptible_where_deployable_table(table)
    names = table.column_names
    if "hourly_cost_usd" not in names or "estimated_hourly_cost_usd" in names:
        return table
    import pyarrow as pa

    values = [estimated_hourly(m, h) for m, h in zip(table["monthly_cost_usd"].to_pylist(),
                                                      table["hourly_cost_usd"].to_pylist())]
    return table.add_column(names.index("hourly_cost_usd") + 1, "estimated_hourly_cost_usd",
                            pa.array(values, type=pa.decimal128(18, 4)))  # 4 places, as ESTIMATE_PLACES


def with_hourly_estimate_rows(columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """`with_hourly_estimate_table` for plain rows (no pyarrow): the same column at the same place."""
    rows = _preemptible_where_deployable_rows(columns, rows)
    if "hourly_cost_usd" not in columns or "estimated_hourly_cost_usd" in columns:
        return columns, rows
    monthly, hourly = columns.index("monthly_cost_usd"), columns.index("hourly_cost_usd")
    cut = hourly + 1
    return ([*columns[:cut], "estimated_hourly_cost_usd", *columns[cut:]],
            [(*row[:cut], estimated_hourly(row[monthly], row[hourly]), *row[cut:]) for row in rows])


PREEMPTIBLE_PRICES = ("monthly_cost_preemptible_usd", "hourly_cost_preemptible_usd")


def _preemptible_where_deployable_rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A preemptible price only where the plan can run preemptible (is_deployable_preemptible false: none;
    NULL, an older API: unknown, kept). The CLI, the dashboard and their downloads show no price that does
    not apply (issue 23: 42 plans showed one)."""
    if "is_deployable_preemptible" not in columns:
        return rows
    flag = columns.index("is_deployable_preemptible")
    cut = [columns.index(c) for c in PREEMPTIBLE_PRICES if c in columns]
    return [row if row[flag] is not False else tuple(None if i in cut else v for i, v in enumerate(row))
            for row in rows]


def _preemptible_where_deployable_table(table: pa.Table) -> pa.Table:
    """_preemptible_where_deployable_rows() for an Arrow result."""
    names = table.column_names
    if "is_deployable_preemptible" not in names:
        return table
    import pyarrow as pa
    import pyarrow.compute as pc

    cannot = pc.fill_null(pc.equal(table["is_deployable_preemptible"], False), False)
    for name in (c for c in PREEMPTIBLE_PRICES if c in names):
        column = table[name]
        table = table.set_column(names.index(name), name, pc.if_else(cannot, pa.scalar(None, column.type), column))
    return table


def _missing(value: object) -> bool:
    return not isinstance(value, Decimal) and is_missing(value)
