"""The site's data for other tools: `data/catalog.json` (schema: data/catalog.schema.json, docs/site.md) and
`data/<name>.parquet`, one file per public view and history table, which DuckDB reads over HTTP
(`select * from read_parquet('https://host/data/plan_prices.parquet')`)."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pipeline.queries.export import copy_relation, public_relations
from pipeline.queries.formatting import is_missing
from pipeline.site.finder import exact
from pipeline.site.read import SiteData
from pipeline.site.text import iso

SCHEMA_VERSION = 1
PLAN_FIELDS = ("plan_id", "plan_type", "vcpu_count", "ram_mb", "disk_gb", "disk_count", "bandwidth_gb",
               "monthly_cost_usd", "hourly_cost_usd", "is_bare_metal", "is_deployable_ondemand", "cpu_vendor",
               "cpu_model", "cpu_allocation", "gpu_type", "gpu_count", "gpu_vram_gb")
MONEY_FIELDS = {"monthly_cost_usd", "hourly_cost_usd", "gpu_count"}  # DECIMAL: exact text


def write_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Every public view (the catalog now) and history table as data/<name>.parquet; the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, _kind in public_relations(con):
        copy_relation(con, name, folder / f"{name}.parquet")
        names.append(f"{name}.parquet")
    return names


def catalog_document(data: SiteData) -> dict[str, Any]:
    """catalog.json: plans, regions, each plan's price in every region where it is offered, stock now."""
    stock = {(m["plan_id"], m["region_id"]): m["status"] for m in data.matrix}
    per_plan: dict[str, list[dict[str, Any]]] = {}
    for price in sorted(data.prices, key=lambda p: (p["plan_id"], p["region_id"])):
        per_plan.setdefault(price["plan_id"], []).append({
            "region_id": price["region_id"], "monthly_cost_usd": exact(price["monthly_cost_usd"]),
            "hourly_cost_usd": exact(price["hourly_cost_usd"]), "is_regional_price": bool(price["is_regional_price"]),
            "is_in_stock": stock.get((price["plan_id"], price["region_id"])) == "in_stock"})
    fresh = data.fresh
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(data.generated_at),
        "collected_at": iso(fresh["last_ok_at"]) if fresh["last_ok_at"] else None,
        "snapshot_id": fresh["last_ok_snapshot_id"],
        "history_starts_at": iso(fresh["first_at"]) if fresh["first_at"] else None,
        "is_demo": data.is_demo,
        "regions": [{k: r[k] for k in ("region_id", "city", "country", "continent")} for r in data.regions],
        "plans": [{**{f: _value(p, f) for f in PLAN_FIELDS}, "regions": per_plan.get(p["plan_id"], [])}
                  for p in sorted(data.plans, key=lambda p: p["plan_id"])],
    }


def _value(plan: dict[str, Any], name: str) -> Any:
    value = plan.get(name)
    if is_missing(value):
        return None
    return exact(value) if name in MONEY_FIELDS else value


def schema_text() -> str:
    return resources.files("pipeline.site").joinpath("assets/catalog.schema.json").read_text(encoding="utf-8")


def write_catalog_json(data: SiteData, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.json").write_text(json.dumps(catalog_document(data), ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    (folder / "catalog.schema.json").write_text(schema_text(), encoding="utf-8")
