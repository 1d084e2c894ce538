"""Plans side by side: one column per plan, one row per attribute, numbers with their % difference from
the first plan (pure functions: no Streamlit)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd

from pipeline.queries.formatting import MISSING, bandwidth_text, is_missing, money, per_unit, ram_text
from pipeline.queries.pricing import estimated_hourly


def _hourly(plan: pd.Series) -> tuple[Any, bool]:
    if not is_missing(plan["hourly_cost_usd"]):
        return plan["hourly_cost_usd"], False
    return estimated_hourly(plan["monthly_cost_usd"], None), True


def _ratio(plan: pd.Series, unit_column: str, scale: int = 1) -> Decimal | None:
    units = plan[unit_column]
    if is_missing(units) or int(units) == 0 or is_missing(plan["monthly_cost_usd"]):
        return None
    return Decimal(str(plan["monthly_cost_usd"])) * scale / int(units)


# label -> (value of a plan, its text); a value of None is shown as —
ROWS: dict[str, Callable[[pd.Series], tuple[Any, str]]] = {
    "type": lambda p: (None, str(p["plan_type"])),
    "vCPUs": lambda p: (p["vcpu_count"], str(p["vcpu_count"])),
    "RAM": lambda p: (p["ram_mb"], ram_text(p["ram_mb"])),
    "disk (GB)": lambda p: (p["disk_gb"], MISSING if is_missing(p["disk_gb"]) else f"{int(p['disk_gb'])} GB"),
    "transfer": lambda p: (p["bandwidth_gb"], bandwidth_text(p["bandwidth_gb"])),
    "$/month": lambda p: (p["monthly_cost_usd"], money(p["monthly_cost_usd"])),
    "$/hour": lambda p: (_hourly(p)[0], money(*_hourly(p))),
    "$/vCPU/month": lambda p: (_ratio(p, "vcpu_count"), per_unit(_ratio(p, "vcpu_count"))),
    "$/GB RAM/month": lambda p: (_ratio(p, "ram_mb", 1024), per_unit(_ratio(p, "ram_mb", 1024))),
    "regions offered": lambda p: (p["regions_offered"], str(p["regions_offered"])),
    "regions in stock": lambda p: (p["regions_in_stock"], str(p["regions_in_stock"])),
}


def delta_text(value: Any, base: Any) -> str:
    """`+25%`, `−10%`, `±0%` against the first plan ('' when either is missing or the base is 0)."""
    if is_missing(value) or is_missing(base) or Decimal(str(base)) == 0:
        return ""
    change = (Decimal(str(value)) - Decimal(str(base))) / Decimal(str(base)) * 100
    rounded = int(change.quantize(Decimal("1")))
    return "±0%" if rounded == 0 else f"{'+' if rounded > 0 else '−'}{abs(rounded)}%"


PRICE_COLUMNS = ("monthly_cost_usd", "hourly_cost_usd")


def at_region_prices(plans: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """The plans with one region's prices (plan_prices rows of that region) in place of the base prices;
    a plan not offered there has no price there (—)."""
    regional = prices.set_index("plan_id")
    out = plans.copy()
    for column in PRICE_COLUMNS:
        out[column] = out["plan_id"].map(regional[column]).astype("object")
    return out


def with_stock_counts(plans: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    counts = (matrix.assign(regions_offered=matrix["status"].ne("not_offered"),
                            regions_in_stock=matrix["status"].eq("in_stock"))
              .groupby("plan_id", as_index=False)[["regions_offered", "regions_in_stock"]].sum())
    merged = plans.merge(counts, on="plan_id", how="left")
    return merged.fillna({"regions_offered": 0, "regions_in_stock": 0}).astype(
        {"regions_offered": int, "regions_in_stock": int})


def side_by_side(plans: pd.DataFrame, plan_ids: list[str]) -> pd.DataFrame:
    """One row per attribute, one column per plan (in the order given); from the second plan on,
    numbers carry their % difference from the first, e.g. `$10.00 (+100%)`."""
    chosen = plans.set_index("plan_id").loc[plan_ids].reset_index()
    table = {"": list(ROWS)}
    first = chosen.iloc[0]
    for position, plan in chosen.iterrows():
        cells = []
        for cell in ROWS.values():
            value, text = cell(plan)
            delta = delta_text(value, cell(first)[0]) if position and value is not None else ""
            cells.append(f"{text} ({delta})" if delta else text)
        table[plan["plan_id"]] = cells
    return pd.DataFrame(table)
