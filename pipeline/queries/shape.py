"""The shape of `cheapest`'s answer, the same on the CLI, the dashboard and the static site.

`--region any` (the finder's `region=any`) lists each plan ONCE, in its cheapest region, with
`region_count`: how many regions offer it under these filters. The other shape, one row per
(plan, region), is `--each-region` on the CLI and `each_region=1` in a finder link. Either way the
first row is the answer the headline names.

A terminal table shows the columns a buyer reads first and fits in TERMINAL_WIDTH characters; `--columns`
picks others and `--wide` shows them all. json and csv always keep every column.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.errors import UnknownChoiceError
from pipeline.queries.core import Rows

if TYPE_CHECKING:
    import pandas as pd

TERMINAL_WIDTH = 120
# A buyer's order of reading; the last ones give way first when the table would be wider than a terminal.
BUYER_COLUMNS = ("plan_id", "region_id", "monthly_cost_usd", "hourly_cost_usd", "vcpu_count", "ram_mb",
                 "disk_gb", "plan_type", "gpu_type", "gpu_vram_gb", "region_count", "is_in_stock")
GPU_COLUMNS = ("gpu_type", "gpu_vram_gb")  # shown by default only when some row has a GPU


def one_per_plan(result: Rows) -> Rows:
    """Rows ranked cheapest first, (plan, region) each -> each plan once in its cheapest region (the first
    of its rows), with `region_count` after region_id: how many regions matched for that plan."""
    plan, region = result.columns.index("plan_id"), result.columns.index("region_id")
    regions: dict[str, set[str]] = {}
    for row in result.rows:
        regions.setdefault(row[plan], set()).add(row[region])
    seen: set[str] = set()
    kept = []
    for row in result.rows:
        if row[plan] not in seen:
            seen.add(row[plan])
            kept.append((*row[:region + 1], len(regions[row[plan]]), *row[region + 1:]))
    return Rows([*result.columns[:region + 1], "region_count", *result.columns[region + 1:]], kept)


def one_per_plan_frame(ranked: pd.DataFrame) -> pd.DataFrame:
    """one_per_plan() for a DataFrame (the dashboard): the same rows, the same region_count column."""
    counts = ranked.groupby("plan_id", sort=False)["region_id"].nunique()
    first = ranked.drop_duplicates("plan_id").copy()
    first.insert(first.columns.get_loc("region_id") + 1, "region_count", first["plan_id"].map(counts).astype("int64"))
    return first.reset_index(drop=True)


def default_columns(result: Rows) -> list[str]:
    """The buyer-first columns present in the result (GPU ones only when a row has a GPU)."""
    has_gpu = "gpu_type" in result.columns and any(
        row[result.columns.index("gpu_type")] is not None for row in result.rows)
    return [c for c in BUYER_COLUMNS if c in result.columns and (has_gpu or c not in GPU_COLUMNS)]


def select_columns(result: Rows, columns: list[str]) -> Rows:
    """Only these columns, in this order; UnknownChoiceError naming the valid keys for one that is not there."""
    unknown = [c for c in columns if c not in result.columns]
    if unknown:
        raise UnknownChoiceError(f"unknown column {unknown[0]!r}; columns: {', '.join(result.columns)}")
    index = [result.columns.index(c) for c in columns]
    return Rows(list(columns), [tuple(row[i] for i in index) for row in result.rows])


def fit_width(result: Rows, render_table: Callable[[Rows], str], width: int = TERMINAL_WIDTH) -> str:
    """The table, dropping the last columns until it fits in `width` characters (plan and price stay)."""
    shown = result
    text = render_table(shown)
    while max(map(len, text.splitlines()), default=0) > width and len(shown.columns) > 3:
        shown = select_columns(shown, shown.columns[:-1])
        text = render_table(shown)
    return text
