"""Match catalog_changes against the rules (in SQL), and describe a match: a line of text and the
webhook payload. Works on the warehouse (the scheduler) and on the published catalog (`alerts test`)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipeline import queries
from pipeline.entities import change_verb
from pipeline.service.alerts.rules import AlertConfig, Rule
from pipeline.queries.formatting import money_text, ram_text, vcpu_text
from pipeline.sql import load_sql

if TYPE_CHECKING:  # pandas loads when alerts are matched: a collection without alert rules never needs it
    import pandas as pd

PAYLOAD_VERSION = 1
_RULE_COLUMNS = ("entities", "change_types", "fields", "plan_ids", "plan_types", "regions")


def _fill_rules(con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...]) -> None:
    con.execute(
        "create or replace temp table _alert_rules (rule_order integer, rule_name varchar,"
        " entities varchar[], change_types varchar[], fields varchar[], plan_ids varchar[],"
        " plan_types varchar[], regions varchar[], min_vcpu integer, min_ram_mb integer,"
        " max_monthly_cost_usd decimal(18, 6))")
    rows = [[i, r.name, *[list(getattr(r, c)) if getattr(r, c) else None for c in _RULE_COLUMNS],
             r.min_vcpu, r.min_ram_mb, r.max_monthly_cost_usd] for i, r in enumerate(rules)]
    names = ("rule_order", "rule_name", *_RULE_COLUMNS, "min_vcpu", "min_ram_mb", "max_monthly_cost_usd")
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


def alert_text(m: dict[str, Any]) -> str:
    """One readable line, e.g. `vhf-2c-4gb (vhf, 2 vCPU, 4096 MB, $24.00/mo) back in stock in fra`."""
    subject = m["entity_id"]
    if m.get("plan_type"):
        price = f", ${_money(m['monthly_cost_usd'])}/mo" if m.get("monthly_cost_usd") is not None else ""
        subject += f" ({m['plan_type']}, {vcpu_text(m['vcpu_count'])}, {ram_text(m['ram_mb'])}{price})"
    where = f" in {m['region_id']}" if m.get("region_id") and m["entity"] != "region" else ""
    old, new = (None, None)
    if m["change_type"] == "changed" and m.get("field"):
        old, new = (_value_text(m["field"], m.get(k)) for k in ("old_value", "new_value"))
    verb = change_verb(m["entity"], m["change_type"], m.get("field"), old, new)
    demo = " [demo data]" if m.get("is_simulated") else ""
    return f"{subject} {verb}{where}{demo}"


def build_payload(m: dict[str, Any]) -> dict[str, Any]:
    """The webhook body (documented in the README, section Alerts). Money is a string, exact."""
    plan = None
    if m.get("plan_type"):
        plan = {"plan_id": m["plan_id"], "plan_type": m["plan_type"], "vcpu_count": _int(m["vcpu_count"]),
                "ram_mb": _int(m["ram_mb"]), "monthly_cost_usd": _money(m["monthly_cost_usd"])}
    change = {k: m.get(k) for k in ("snapshot_id", "entity", "entity_id", "region_id", "change_type",
                                    "field", "old_value", "new_value")}
    change["snapshot_id"] = int(change["snapshot_id"])
    change["changed_at"] = _iso(m["changed_at"])
    return {"version": PAYLOAD_VERSION, "source": "vultr-catalog",
            "alert_id": alert_id(m["rule_name"], m["change_key"]), "rule": m["rule_name"],
            "text": f"[{m['rule_name']}] {alert_text(m)}", "change": change, "plan": plan,
            "is_simulated": bool(m.get("is_simulated"))}


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
    return {k: (None if _is_missing(v) else v) for k, v in row.items()}


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _money(value: Any) -> str | None:
    """At least two decimals, no trailing zeros beyond: 5.00, 2.50, 0.003."""
    return None if value is None else money_text(Decimal(value))


def _value_text(field: str, value: Any) -> str:
    """A money field's old/new value as money ($5.00, not 5.000000); anything else as stored."""
    if value is None or not field.endswith("_usd"):
        return str(value)
    try:
        return "$" + money_text(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _iso(value: Any) -> str:
    moment = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return moment.astimezone(timezone.utc).isoformat() if isinstance(moment, datetime) else str(moment)
