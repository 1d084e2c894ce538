"""What your fleet costs: live servers (plain data, fetched elsewhere) priced against the published catalog.

The read side never fetches: `pipeline.account.fetch_servers()` reads the account live and
hands its plain dicts here. Nothing is written anywhere; the servers exist only in this connection's
memory for the duration of one query.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline.queries.core import frame
from pipeline.queries.formatting import money
from pipeline.queries.output import render
from pipeline.sql import fetch_value, load_sql

if TYPE_CHECKING:  # pandas and pyarrow load on first use (pipeline.queries is imported by `cheapest`)
    import pandas as pd
    import pyarrow as pa


@cache
def server_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([
        ("server_id", pa.string()), ("label", pa.string()), ("region_id", pa.string()),
        ("plan_id", pa.string()), ("vcpu_count", pa.int32()), ("ram_mb", pa.int32()),
        ("disk_gb", pa.int32()), ("is_bare_metal", pa.bool_()),
        ("created_at", pa.timestamp("us", tz="UTC")), ("created_monthly_cost_usd", pa.decimal128(18, 6)),
    ])


def servers_table(servers: Iterable[Mapping[str, Any]]) -> pa.Table:
    """The fetched servers as an Arrow table of server_schema() (missing keys are NULL; money exact)."""
    import pyarrow as pa

    schema = server_schema()
    rows = [{name: server.get(name) for name in schema.names} for server in servers]
    for row in rows:
        cost = row["created_monthly_cost_usd"]
        row["created_monthly_cost_usd"] = None if cost is None else Decimal(str(cost)).quantize(Decimal("0.000001"))
    return pa.Table.from_pylist(rows, schema=schema)


def fleet_costs(con: duckdb.DuckDBPyConnection, servers: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per server: its plan's price in its region now, the cheapest plan in stock there with
    at least its vCPUs, RAM and disk (same kind: cloud or bare metal), the monthly saving, and
    is_plan_in_stock / is_plan_retired / price_changed_since_created. Money is exact Decimal."""
    table = servers_table(servers)
    con.register("fleet_servers", table)
    try:
        return frame(con, load_sql("queries/sql/fleet.sql"))
    finally:
        con.unregister("fleet_servers")


def fleet_totals(costs: pd.DataFrame) -> dict[str, Any]:
    """Sums over a fleet_costs() frame: servers, what the priced ones cost now, at their cheapest
    equivalents, the saving, and how many have no price (retired or unknown plans)."""
    priced = costs[costs["monthly_cost_usd"].notna()]
    comparable = priced[priced["cheapest_monthly_cost_usd"].notna()]
    return {
        "server_count": len(costs),
        "unpriced_count": len(costs) - len(priced),
        "monthly_cost_usd": sum(priced["monthly_cost_usd"], Decimal(0)),
        "cheapest_monthly_cost_usd": sum(comparable["cheapest_monthly_cost_usd"], Decimal(0)),
        "monthly_saving_usd": sum(comparable["monthly_saving_usd"], Decimal(0)),
    }


TABLE_COLUMNS = ["server_id", "label", "region_id", "plan_id", "monthly_cost_usd", "cheapest_plan_id",
                 "cheapest_monthly_cost_usd", "monthly_saving_usd", "is_plan_in_stock", "is_plan_retired",
                 "price_changed_since_created"]


def total_line(totals: dict[str, Any]) -> str:
    """The table's last line: what the fleet costs now, at its cheapest equivalents, and the saving."""
    count = totals["server_count"]
    line = (f"total: {count} server{'s' if count != 1 else ''}, {money(totals['monthly_cost_usd'])}/mo now, "
            f"{money(totals['cheapest_monthly_cost_usd'])}/mo at the cheapest equivalents in stock, "
            f"saving {money(totals['monthly_saving_usd'])}/mo")
    if totals["unpriced_count"]:
        line += f" ({totals['unpriced_count']} without a current price: retired or unknown plan)"
    return line


def render_fleet(costs: pd.DataFrame, fmt: str) -> str:
    """json and csv: every column; table: the main columns and a total line."""
    if fmt != "table":
        return render(costs, fmt)
    return render(costs[TABLE_COLUMNS], "table") + "\n" + total_line(fleet_totals(costs))


def catalog_api_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The API version of the newest published snapshot (v1 and v2 plan ids differ)."""
    value = fetch_value(con, "select api_version from snapshots where status = 'ok' "
                             "order by started_at desc, snapshot_id desc limit 1")
    return None if value is None else str(value)
