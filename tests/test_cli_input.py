"""Explicit input on the CLI, in-process: ids in any case, valid choices named, usage errors exit 2,
--data-dir before or after the command, the history's start named for an --at before it."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.fakeapi import FakeVultr
from tests.conftest import FAST_V2


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("cli-input") / "data"
    with FakeVultr(unlimited=("v2",)).start() as api:
        assert main(["collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(target), *FAST_V2]) == 0
    return target


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_data_dir_before_or_after_the_command(capsys, catalog_dir):
    before = run(capsys, "--data-dir", str(catalog_dir), "cheapest", "--region", "fra", "--format", "json")
    after = run(capsys, "cheapest", "--region", "fra", "--format", "json", "--data-dir", str(catalog_dir))
    assert before[0] == after[0] == 0 and json.loads(before[1]) == json.loads(after[1]) != []


def test_ids_are_case_insensitive(capsys, catalog_dir):
    upper = run(capsys, "cheapest", "--region", "FRA", "--type", "VHF", "--format", "json", "--data-dir", str(catalog_dir))
    lower = run(capsys, "cheapest", "--region", "fra", "--type", "vhf", "--format", "json", "--data-dir", str(catalog_dir))
    assert upper[0] == 0 and json.loads(upper[1]) == json.loads(lower[1]) != []


def test_unknown_type_names_the_types(capsys, catalog_dir):
    code, _, err = run(capsys, "cheapest", "--region", "fra", "--type", "vhff", "--data-dir", str(catalog_dir))
    assert code == 1 and err.startswith("Error: unknown plan type 'vhff'; types: ") and "vhf" in err
    assert len(err.strip().splitlines()) == 1


def test_at_before_the_history_says_when_it_starts(capsys, catalog_dir):
    code, _, err = run(capsys, "cheapest", "--region", "fra", "--at", "2020-01-01", "--data-dir", str(catalog_dir))
    assert code == 1 and "no history at 2020-01-01 00:00:00Z: the history starts at 20" in err
    assert "regions: (none)" not in err


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-1", "abc"])
def test_max_monthly_cost_must_be_a_finite_amount(capsys, value):
    code, _, err = run(capsys, "cheapest", "--region", "fra", "--max-monthly-cost", value)
    assert code == 2 and "--max-monthly-cost" in err


def test_min_ram_in_gb(capsys, catalog_dir):
    code, out, _ = run(capsys, "cheapest", "--region", "fra", "--min-ram-gb", "4", "--format", "json",
                       "--data-dir", str(catalog_dir))
    rows = json.loads(out)
    assert code == 0 and rows and min(r["ram_mb"] for r in rows) >= 4096


@pytest.mark.parametrize("argv", [["schedule", "--every", "1hour"], ["schedule", "--every", "0s"],
                                  ["schedule", "--every", "1h", "--jitter", "soon"]])
def test_bad_durations_are_usage_errors(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and ("not a duration" in err or "must be positive" in err)


def test_status_on_a_missing_directory_fails(capsys, tmp_path):
    code, out, err = run(capsys, "status", "--data-dir", str(tmp_path / "nope"))
    assert code == 1 and err.startswith("Error: no data directory at") and out == ""


def write_rules(path, body: str):
    path.write_text(f'[[rule]]\nname = "r"\nentity = "availability"\n{body}\n', encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("body, message", [
    ('regions = ["fra", "atlantis"]', "unknown region 'atlantis'; regions: "),
    ('plan_type = "vhff"', "unknown plan type 'vhff'; plan types: "),
    ('plan_id = "vc2-1c-1g"', "unknown plan 'vc2-1c-1g'; did you mean vc2-1c-1gb"),
])
def test_alert_rules_for_unknown_values_are_refused_with_choices(capsys, catalog_dir, tmp_path, body, message):
    rules = write_rules(tmp_path / "rules.toml", body)
    code, _, err = run(capsys, "alerts", "test", rules, "--data-dir", str(catalog_dir))
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_alert_rule_ids_are_case_insensitive(capsys, catalog_dir, tmp_path):
    rules = write_rules(tmp_path / "rules.toml", 'regions = ["FRA"]\nplan_type = "VHF"')
    code, _, err = run(capsys, "alerts", "test", rules, "--data-dir", str(catalog_dir))
    assert code == 0, err
