"""Match catalog_changes against the rules (in SQL), and describe a match: a line of text and the
webhook payload. Works on the warehouse (the scheduler) and on the published catalog (`alerts test`)."""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline import queries
from pipeline.entities import change_verb
from pipeline.errors import first_line
from pipeline.queries.formatting import (
    change_value_text,
    is_missing,
    money,
    money_text,
    ram_text,
    span_text,
    vcpu_text,
)
from pipeline.queries.formatting import price as price_text
from pipeline.queries.outlook import outlook_sentence
from pipeline.service.alerts.rules import AlertConfig, Rule
from pipeline.sql import load_sql

if TYPE_CHECKING:  # pandas loads when alerts are matched: a collection without alert rules never needs it
    import pandas as pd

log = logging.getLogger(__name__)
PAYLOAD_VERSION = 1
_RULE_COLUMNS = ("entities", "change_types", "fields", "plan_ids", "plan_types", "regions", "gpu_types",
                 "continents", "cpu_allocations")
_NUMBER_COLUMNS = {"min_vcpu": "integer", "min_ram_mb": "integer", "max_monthly_cost_usd": "decimal(18, 6)",
                   "min_gpu_vram_gb": "integer"}


def _fill_rules(con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...]) -> None:
    columns = [f"{c} varchar[]" for c in _RULE_COLUMNS] + [f"{c} {t}" for c, t in _NUMBER_COLUMNS.items()]
    con.execute(f"create or replace temp table _alert_rules (rule_order integer, rule_name varchar, {', '.join(columns)})")
    rows = [[i, r.name, *[list(getattr(r, c)) if getattr(r, c) else None for c in _RULE_COLUMNS],
             *[getattr(r, c) for c in _NUMBER_COLUMNS]] for i, r in enumerate(rules)]
    names = ("rule_order", "rule_name", *_RULE_COLUMNS, *_NUMBER_COLUMNS)
    con.executemany(f"insert into _alert_rules values ({', '.join('$' + n for n in names)})",
                    [dict(zip(names, row)) for row in rows])


def match_changes(con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...], after_snapshot_id: int,
                  up_to_snapshot_id: int) -> pd.DataFrame:
    """Every (rule, change) match for changes with snapshot_id in (after, up_to], in order."""
    _fill_rules(con, rules)
    params = {"after_snapshot_id": after_snapshot_id, "up_to_snapshot_id": up_to_snapshot_id}
    return queries.frame(con, load_sql("service/alerts/matches.sql"), params)


def alert_id(rule_name: str, change_key: str) -> str:
    """Stable across restarts and re-deliveries: receivers can de-duplicate on it."""
    return hashlib.sha256(f"{rule_name}\n{change_key}".encode()).hexdigest()[:20]


def alert_text(m: dict[str, Any], outlook: dict[str, Any] | None = None) -> str:
    """One readable line, e.g. `vhf-2c-4gb (vhf, 2 vCPU, 4096 MB, $24.00/mo) changed price ...`; a restock
    or sell-out reads as stock_text() says."""
    if m["entity"] == "availability" and m["change_type"] in ("added", "removed"):
        return stock_text(m, outlook)
    subject = m["entity_id"]
    if m.get("plan_type"):
        price = f", {price_text(m['monthly_cost_usd'])}" if m.get("monthly_cost_usd") is not None else ""
        subject += f" ({m['plan_type']}, {vcpu_text(m['vcpu_count'])}, {ram_text(m['ram_mb'])}{price})"
    where = f" in {m['region_id']}" if m.get("region_id") and m["entity"] != "region" else ""
    old, new = (None, None)
    if m["change_type"] == "changed" and m.get("field"):
        old, new = (change_value_text(m["field"], m.get(k)) for k in ("old_value", "new_value"))
    verb = change_verb(m["entity"], m["change_type"], m.get("field"), old, new)
    demo = " [demo data]" if m.get("is_simulated") else ""
    return f"{subject} {verb}{where}{demo}"


def stock_text(m: dict[str, Any], outlook: dict[str, Any] | None = None) -> str:
    """`vcg-a100-12c-120g-80vram back in stock in fra at $1,752.00/month ($2.40/h). It was sold out for
    3 h 10 min. Over 30 days: 12 sell-outs, back within 2 h 05 min (median), 9 h (p90).`"""
    price = ""
    if m.get("monthly_cost_usd") is not None:
        hourly = f" ({money(m['hourly_cost_usd'])}/h)" if m.get("hourly_cost_usd") is not None else ""
        price = f" at {money(m['monthly_cost_usd'])}/month{hourly}"
    verb = "back in stock" if m["change_type"] == "added" else "sold out"
    text = f"{m['entity_id']} {verb} in {m['region_id']}{price}."
    if outlook is not None:
        just_ended = outlook.get("last_restocked_at") is not None and outlook["last_restocked_at"] == m["changed_at"]
        if m["change_type"] == "added" and just_ended and outlook.get("last_sell_out_s") is not None:
            text += f" It was sold out for {span_text(outlook['last_sell_out_s'])}."
        text += " " + outlook_sentence(outlook)
    return text + (" [demo data]" if m.get("is_simulated") else "")


def read_outlooks(data_dir: Path | str | None, matches: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """The stock outlook of each restock or sell-out match as of its change, by (plan, region, changed_at),
    from the published catalog; {} (and a warning) if it cannot be read: alerts go out without it."""
    moments = {m["changed_at"] for m in matches if m["entity"] == "availability"}
    if not moments:
        return {}
    try:
        with queries.catalog(data_dir) as con:
            return {(*pair, moment): row for moment in moments
                    for pair, row in queries.outlooks_at(con, _py(moment)).items()}
    except Exception as exc:  # an outlook is a courtesy; the alert itself must go out
        log.warning("alerts: no stock outlook for the messages (%s)", first_line(exc))
        return {}


def build_payload(m: dict[str, Any], outlook: dict[str, Any] | None = None) -> dict[str, Any]:
    """The webhook body (documented in docs/alerts.md). Money is a string, exact."""
    plan = None
    if m.get("plan_type"):
        plan = {"plan_id": m["plan_id"], "plan_type": m["plan_type"], "vcpu_count": _int(m["vcpu_count"]),
                "ram_mb": _int(m["ram_mb"]), "monthly_cost_usd": _money(m["monthly_cost_usd"])}
    change = {k: m.get(k) for k in ("snapshot_id", "entity", "entity_id", "region_id", "change_type",
                                    "field", "old_value", "new_value")}
    change["snapshot_id"] = int(m["snapshot_id"])
    change["changed_at"] = _iso(m["changed_at"])
    return {"version": PAYLOAD_VERSION, "source": "vultr-catalog",
            "alert_id": alert_id(m["rule_name"], m["change_key"]), "rule": m["rule_name"],
            "text": f"[{m['rule_name']}] {alert_text(m, outlook)}", "change": change, "plan": plan,
            "outlook": _outlook_payload(outlook), "is_simulated": bool(m.get("is_simulated"))}


def _outlook_payload(outlook: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stock_outlook columns a receiver may want, JSON-ready (durations in seconds, times ISO)."""
    if outlook is None:
        return None
    keys = ("window_days", "sell_out_count", "median_sell_out_s", "p90_sell_out_s", "longest_sell_out_s",
            "in_stock_share", "sold_out_since_at", "last_restocked_at", "last_sell_out_s")
    return {k: (_iso(outlook[k]) if k.endswith("_at") and outlook[k] is not None else outlook[k]) for k in keys}


def test_rules(config: AlertConfig, data_dir: Path | str | None = None) -> pd.DataFrame:
    """What the rules would have matched over the whole published history (read-only)."""
    import pandas as pd

    with queries.catalog(data_dir) as con:
        found = match_changes(con, config.rules, -1, 2**31 - 1)
    columns = ["rule_name", "snapshot_id", "changed_at", "entity", "entity_id", "region_id",
               "change_type", "field", "old_value", "new_value"]
    rows = [clean_row(row) for row in found.to_dict("records")]
    texts = pd.Series([alert_text(r) for r in rows], index=found.index, dtype="object")
    ids = pd.Series([alert_id(r["rule_name"], r["change_key"]) for r in rows], index=found.index, dtype="object")
    return found[columns].assign(text=texts, alert_id=ids)


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """pandas NA/NaT -> None, so text and payload code sees plain values."""
    return {k: (None if is_missing(v) else v) for k, v in row.items()}


def _money(value: Any) -> str | None:
    """At least two decimals, no trailing zeros beyond: 5.00, 2.50, 0.003."""
    return None if value is None else money_text(Decimal(value))


def _py(value: Any) -> Any:
    """A pandas Timestamp as the datetime DuckDB binds."""
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def readable_values(frame: pd.DataFrame) -> pd.DataFrame:
    """`alerts test`'s table: old/new money values as its text quotes them ($22.50, not 22.500000)."""
    def text(field: Any, value: Any) -> Any:
        return value if is_missing(value) or not isinstance(field, str) else change_value_text(field, value)

    return frame.assign(**{column: [text(f, v) for f, v in zip(frame["field"], frame[column])]
                           for column in ("old_value", "new_value")})


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _iso(value: Any) -> str:
    moment = _py(value)
    return moment.astimezone(UTC).isoformat() if isinstance(moment, datetime) else str(moment)
