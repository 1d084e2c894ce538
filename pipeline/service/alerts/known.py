"""Check a rule file's regions, plan types and plan ids against the published catalog: a rule for
region "atlantis" or type "vhff" would load and never fire, so it is refused with the valid choices."""
from __future__ import annotations

import difflib
from pathlib import Path

from pipeline import queries
from pipeline.errors import ConfigError, NoCatalogError
from pipeline.service.alerts.rules import AlertConfig

# every value the history has known (a retired plan or a closed region may still be worth a rule)
_KNOWN_SQL = {
    "regions": "select distinct region_id from regions_history order by 1",
    "plan_types": "select distinct plan_type from plans_history where plan_type is not null order by 1",
    "plan_ids": "select distinct plan_id from plans_history order by 1",
    "continents": "select distinct lower(continent) from regions_history where continent is not null order by 1",
}
_LABELS = {"regions": "region", "plan_types": "plan type", "plan_ids": "plan", "continents": "continent"}
# gpu_type is not checked: a rule for a GPU the catalog has not seen yet waits for the plans that bring it
_LISTED_UP_TO = 40  # a longer list (plan ids) names close matches and how to list them instead


def check_rules_against_catalog(config: AlertConfig | None, data_dir: Path | str | None) -> None:
    """ConfigError naming the valid choices for any unknown value; nothing to check against (no
    published catalog yet) is not an error."""
    if config is None:
        return
    try:
        with queries.catalog(data_dir) as con:
            known = {attr: [r[0] for r in con.execute(sql).fetchall()] for attr, sql in _KNOWN_SQL.items()}
    except NoCatalogError:
        return
    for rule in config.rules:
        for attr, choices in known.items():
            for value in getattr(rule, attr) or ():
                if value not in choices:
                    raise ConfigError(f"{config.path}: rule {rule.name!r}: unknown {_LABELS[attr]} {value!r}; "
                                      + _choices_text(attr, value, choices))


def _choices_text(attr: str, value: str, choices: list[str]) -> str:
    label = _LABELS[attr]
    if len(choices) <= _LISTED_UP_TO:
        return f"{label}s: {', '.join(choices) or '(none)'}"
    close = difflib.get_close_matches(value, choices, n=3)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"{hint}({len(choices)} {label}s: `vultr-catalog sql \"select plan_id from plans\"` lists them)"
