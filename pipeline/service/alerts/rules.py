"""The alert rules file (TOML): `[[rule]]` tables, each a filter over catalog_changes and its actions,
plus an optional `[delivery]` table. Loaded and validated here; matched in SQL (match.py)."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.entities import CHANGE_TYPES, ENTITY_NAMES
from pipeline.errors import ConfigError
from pipeline.service.alerts.channels import check_notify_url, register_secrets, target_key

ALERTS_ENV = "VULTR_CATALOG_ALERTS"
ENTITIES = ENTITY_NAMES  # re-exported: the rule file's vocabulary is the registry's
LIST_KEYS = {"entity": "entities", "change_type": "change_types", "field": "fields",
             "plan_id": "plan_ids", "plan_type": "plan_types", "regions": "regions", "gpu_type": "gpu_types",
             "continent": "continents", "cpu_allocation": "cpu_allocations"}
NUMBER_KEYS = ("min_vcpu", "min_ram_mb", "min_gpu_vram_gb")
CPU_ALLOCATIONS = ("shared", "dedicated")
CATALOG_ID_KEYS = ("plan_id", "plan_type", "regions")
MAX_DELIVERY_VALUE = 366 * 86400  # seconds or attempts: past a year is a typo (nan and inf fail too)


@dataclass(frozen=True)
class Rule:
    name: str
    entities: tuple[str, ...] | None = None
    change_types: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None
    plan_ids: tuple[str, ...] | None = None
    plan_types: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    min_vcpu: int | None = None
    min_ram_mb: int | None = None
    max_monthly_cost_usd: Decimal | None = None
    gpu_types: tuple[str, ...] | None = None
    min_gpu_vram_gb: int | None = None
    continents: tuple[str, ...] | None = None  # lower case (matched without case)
    cpu_allocations: tuple[str, ...] | None = None
    webhook: str | None = None
    notify: tuple[str, ...] | None = None  # Apprise URLs; None: [delivery] notify
    log: bool = True


@dataclass(frozen=True)
class Delivery:
    timeout_s: float = 5.0          # per webhook POST (connect and read)
    retry_base_s: float = 30.0      # first retry after this, doubling per attempt
    retry_max_s: float = 3600.0     # ... up to this
    max_attempts: int = 20          # then the alert is abandoned (logged as an error)
    budget_s: float = 20.0          # time one delivery pass may take; the rest waits for the next tick
    notify: tuple[str, ...] = ()    # Apprise URLs for every rule without its own `notify`


@dataclass(frozen=True)
class AlertConfig:
    path: Path
    rules: tuple[Rule, ...]
    delivery: Delivery = field(default_factory=Delivery)

    def notify_urls(self, rule: Rule) -> tuple[str, ...]:
        return self.delivery.notify if rule.notify is None else rule.notify

    def targets(self) -> dict[str, str]:
        """Every webhook and notification URL of the file by its key (what the outbox stores)."""
        urls = [u for r in self.rules for u in (r.webhook, *self.notify_urls(r)) if u]
        return {target_key(u): u for u in urls}


def resolve_rules_path(path: str | Path | None) -> Path | None:
    """The flag, else $VULTR_CATALOG_ALERTS, else None (no alerts)."""
    chosen = path or os.environ.get(ALERTS_ENV)
    return Path(chosen) if chosen else None


def load_rules(path: str | Path | None) -> AlertConfig | None:
    """Load and validate a rules file; None when no file is configured."""
    resolved = resolve_rules_path(path)
    if resolved is None:
        return None
    try:
        raw = tomllib.loads(resolved.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the alert rules {resolved}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the alert rules {resolved} are not UTF-8 text (a binary file?)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the alert rules {resolved} are not valid TOML: {exc}") from None
    unknown = set(raw) - {"rule", "delivery"}
    if unknown:
        raise ConfigError(f"{resolved}: unknown table(s) {', '.join(sorted(unknown))}: use [[rule]] and [delivery]")
    delivery = _delivery(raw.get("delivery", {}), resolved)
    rules = tuple(_rule(item, i, resolved, delivery) for i, item in enumerate(_rule_tables(raw, resolved)))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{resolved}: rule names must be unique; repeated: {', '.join(duplicates)}")
    return AlertConfig(resolved, rules, delivery)


def _rule_tables(raw: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    tables = raw.get("rule", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path}: define at least one rule as a [[rule]] table")
    return tables


def _rule(item: dict[str, Any], index: int, path: Path, delivery: Delivery) -> Rule:
    name = item.get("name")
    where = f"{path}: rule {index + 1}" + (f" ({name!r})" if name else "")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: needs a name = \"...\"")
    known = {"name", "webhook", "notify", "log", "max_monthly_cost_usd", *LIST_KEYS, *NUMBER_KEYS}
    unknown = sorted(set(item) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {"name": name.strip()}
    for key, attr in LIST_KEYS.items():
        if key in item:
            values[attr] = _strings(item[key], key, where)
            if key in CATALOG_ID_KEYS or key in ("continent", "cpu_allocation"):  # matched without case
                values[attr] = tuple(v.strip().lower() for v in values[attr])
            if key == "gpu_type":  # the catalog's spelling: NVIDIA_A100_PCIE
                values[attr] = tuple(v.strip().upper() for v in values[attr])
    for key in NUMBER_KEYS:
        if key in item:
            values[key] = _whole(item[key], key, where)
    if "max_monthly_cost_usd" in item:
        values["max_monthly_cost_usd"] = _money(item["max_monthly_cost_usd"], where)
    values["webhook"] = _webhook(item.get("webhook"), where)
    if "notify" in item:
        values["notify"] = _notify(item["notify"], where)
    values["log"] = item.get("log", True)
    if not isinstance(values["log"], bool):
        raise ConfigError(f"{where}: log must be true or false")
    notify = values.get("notify", delivery.notify)
    if not values["webhook"] and not values["log"] and not notify:
        raise ConfigError(f"{where}: has no action: set notify = [\"tgram://...\"], webhook = \"https://...\""
                          " and/or log = true")
    _check_choices(values, where)
    return Rule(**values)


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise ConfigError(f"{where}: {key} must be a string or a non-empty list of strings")
    return tuple(items)


def _whole(value: Any, key: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number >= 0")
    return value


def _money(value: Any, where: str) -> Decimal:
    try:  # TOML floats go through str() so 2.5 stays 2.5; prefer quoting money ("2.50")
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ConfigError(f"{where}: max_monthly_cost_usd must be a number >= 0, e.g. \"20.00\"")
    return amount


def _webhook(value: Any, where: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: webhook must be an http:// or https:// URL")
    register_secrets(value)
    return value


def _notify(value: Any, where: str) -> tuple[str, ...]:
    """Apprise URLs: a string or a list (an empty list: no notifications for this rule)."""
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list):
        raise ConfigError(f"{where}: notify must be an Apprise URL or a list of them")
    return tuple(check_notify_url(url, where) for url in urls)


def _check_choices(values: dict[str, Any], where: str) -> None:
    for key, allowed in (("entity", ENTITIES), ("change_type", CHANGE_TYPES), ("cpu_allocation", CPU_ALLOCATIONS)):
        bad = [v for v in values.get(LIST_KEYS[key]) or () if v not in allowed]
        if bad:
            raise ConfigError(f"{where}: unknown {key} {', '.join(bad)}; use one of {', '.join(allowed)}")


def _delivery(raw: Any, path: Path) -> Delivery:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [delivery] must be a table")
    names = {f.name: f.type for f in fields(Delivery)}
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise ConfigError(f"{path}: unknown [delivery] key(s) {', '.join(unknown)}; known: {', '.join(names)}")
    numbers = {k: v for k, v in raw.items() if k != "notify"}
    notify = _notify(raw["notify"], f"{path}: [delivery]") if "notify" in raw else ()
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_DELIVERY_VALUE:
            raise ConfigError(f"{path}: [delivery] {key} must be a positive number up to {MAX_DELIVERY_VALUE:g}"
                              " (not nan or inf)")
    values: dict[str, Any] = {k: (int(v) if k == "max_attempts" else float(v)) for k, v in numbers.items()}
    return Delivery(**values, notify=notify)
