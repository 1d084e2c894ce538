"""Alerts: the rules file, `alerts test` over stored history, and delivery exactly once to a real
local HTTP receiver, across a restart of the scheduler and across a webhook outage."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import ConfigError
from pipeline.service.alerts import build_payload, load_rules
from pipeline.service.alerts import test_rules as match_history
from tests.conftest import (
    RETRY_SOON,
    deliver_after_outage,
    free_port,
    log_text,
    ok_count,
    running_schedule,
    status_json,
    stock_rule,
    stop,
    wait_for,
    write_rules,
)


@pytest.mark.parametrize("text, message", [
    ("[[rule]]\nentity = 'plan'", "needs a name"),
    ("[[rule]]\nname = 'x'\nentity = 'planet'", "unknown entity planet"),
    ("[[rule]]\nname = 'x'\nchange_type = 'moved'", "unknown change_type moved"),
    ("[[rule]]\nname = 'x'\nregion = 'fra'", "unknown key(s) region"),
    ("[[rule]]\nname = 'x'\nlog = false", "has no action"),
    ("[[rule]]\nname = 'x'\nwebhook = 'ftp://h/x'", "webhook must be an http"),
    ("[[rule]]\nname = 'x'\nmin_vcpu = -1", "min_vcpu must be a whole number"),
    ("[[rule]]\nname = 'x'\n[[rule]]\nname = 'x'", "repeated: x"),
    ("[rules]\nname = 'x'", "unknown table(s) rules"),
    ("[[rule]]\nname = 'x'\n[delivery]\nretry_base_s = 0", "retry_base_s must be a positive number"),
    ("[[rule]\nname = 'x'", "not valid TOML"),
])
def test_bad_rules_are_rejected_with_a_clear_message(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        load_rules(write_rules(tmp_path / "rules.toml", text))
    assert message in str(error.value)


def test_rules_path_from_environment(tmp_path, monkeypatch):
    path = write_rules(tmp_path / "rules.toml", "[[rule]]\nname = 'regions'\nentity = 'region'")
    monkeypatch.setenv("VULTR_CATALOG_ALERTS", str(path))
    config = load_rules(None)
    assert config.path == path and config.rules[0].entities == ("region",) and config.rules[0].log is True
    monkeypatch.delenv("VULTR_CATALOG_ALERTS")
    assert load_rules(None) is None


def test_example_rules_file_loads():
    config = load_rules(Path(__file__).resolve().parents[1] / "examples" / "alerts.toml")
    assert [r.name for r in config.rules] == ["vhf back in fra/ams", "big GPU back in Europe", "vc2-1c-1gb price",
                                              "new region", "Sao Paulo price"]
    assert config.rules[0].min_vcpu == 2 and config.rules[0].regions == ("fra", "ams")


def test_alerts_test_matches_the_stored_history(demo_dir, tmp_path, cli):
    rules = write_rules(tmp_path / "rules.toml", """
[[rule]]
name = "fra restocks"
entity = "availability"
change_type = "added"
regions = "fra"

[[rule]]
name = "big vhf or vc2 sells out"
entity = "availability"
change_type = "removed"
plan_type = ["vhf", "vc2"]
min_vcpu = 2

[[rule]]
name = "prices"
entity = "plan"
field = "monthly_cost_usd"
""")
    result = cli("alerts", "test", str(rules), "--data-dir", str(demo_dir), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    by_rule = Counter(r["rule_name"] for r in rows)
    con = duckdb.connect(str(demo_dir / "catalog.duckdb"), read_only=True)
    expected = {
        "fra restocks": "select count(*) from catalog_changes where entity = 'availability'"
                        " and change_type = 'added' and region_id = 'fra'",
        "big vhf or vc2 sells out": "select count(*) from catalog_changes c join plans p on p.plan_id = c.entity_id"
                                    " where c.entity = 'availability' and c.change_type = 'removed'"
                                    " and p.plan_type in ('vhf', 'vc2') and p.vcpu_count >= 2",
        "prices": "select count(*) from catalog_changes where entity = 'plan' and field = 'monthly_cost_usd'",
    }
    counts = {name: con.execute(sql).fetchone()[0] for name, sql in expected.items()}
    con.close()
    assert counts["fra restocks"] > 0 and counts["big vhf or vc2 sells out"] > 0
    assert {name: by_rule.get(name, 0) for name in expected} == counts
    assert all("[demo data]" in r["text"] for r in rows)


def test_payload_shape_keeps_money_exact(demo_dir, tmp_path):
    rules = write_rules(tmp_path / "rules.toml", "[[rule]]\nname = 'stock'\nentity = 'availability'")
    frame = match_history(load_rules(rules), demo_dir)
    assert len(frame) > 0 and frame["alert_id"].is_unique
    from pipeline import queries
    from pipeline.service.alerts.match import clean_row, match_changes

    with queries.catalog(demo_dir) as con:
        match = clean_row(match_changes(con, load_rules(rules).rules, -1, 10**6).to_dict("records")[0])
    payload = build_payload(match)
    assert set(payload) == {"version", "source", "alert_id", "rule", "text", "change", "plan", "outlook",
                            "is_simulated"}
    assert payload["alert_id"] == frame["alert_id"].iloc[0]
    assert isinstance(payload["plan"]["monthly_cost_usd"], str) and "." in payload["plan"]["monthly_cost_usd"]
    assert payload["change"]["entity"] == "availability" and payload["is_simulated"] is True
    json.dumps(payload)  # serializable as is


def test_alerts_delivered_exactly_once_across_a_restart(living_api, data_dir, receiver, tmp_path):
    rules = write_rules(tmp_path / "rules.toml", stock_rule(receiver.url))
    with running_schedule(living_api, data_dir, "--alerts", str(rules)) as first:
        wait_for(lambda: len(receiver.bodies) >= 3 and ok_count(data_dir) >= 3, what="alerts from a first run")
        assert stop(first) == 0
    before = ok_count(data_dir)
    with running_schedule(living_api, data_dir, "--alerts", str(rules)) as second:
        # and the backlog delivered: a pass stops at its budget, and the comparison below wants them all
        wait_for(lambda: ok_count(data_dir) >= before + 3 and status_json(data_dir)["alerts"]["pending"] == 0,
                 what="three more snapshots after the restart, their alerts delivered")
        assert stop(second) == 0
    expected = match_history(load_rules(rules), data_dir)
    assert len(expected) >= 3
    assert Counter(receiver.ids()).most_common(1)[0][1] == 1  # nothing repeated
    assert set(receiver.ids()) == set(expected["alert_id"])   # nothing dropped
    logged = [line for line in log_text(data_dir).splitlines()
              if "WARNING pipeline.service.alerts.deliver alert id=" in line and "webhook=" not in line]
    assert len(logged) == len(expected)                       # the log channel: once each too
    assert "secret-token" not in log_text(data_dir)           # webhook paths are never logged
    assert status_json(data_dir)["alerts"]["pending"] == 0


def test_webhook_down_then_up_is_retried_until_delivered(living_api, data_dir, tmp_path):
    port = free_port()  # nothing listens yet: connection refused
    rules = write_rules(tmp_path / "rules.toml", stock_rule(f"http://127.0.0.1:{port}/hook", RETRY_SOON))
    receiver = deliver_after_outage(living_api, data_dir, rules, port)
    expected = match_history(load_rules(rules), data_dir)
    assert Counter(receiver.ids()).most_common(1)[0][1] == 1
    assert set(receiver.ids()) == set(expected["alert_id"])
    assert "ConnectionError" in log_text(data_dir) and status_json(data_dir)["alerts"]["pending"] == 0
