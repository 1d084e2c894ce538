"""The CLI contract: exit codes, one-line errors, formats. In-process through pipeline.cli.main (the
`cli` fixture); a few smoke tests run the real entry point in a subprocess, as a user would."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from decimal import Decimal

import pytest
import requests

from pipeline.errors import CatalogError
from pipeline.fakeapi import Fault
from pipeline.paths import catalog_path
from tests.conftest import FAST_V2, ROOT, file_digest, run_cli

COMMANDS = ["collect", "sql", "cheapest", "fake-api", "serve", "demo"]


@pytest.fixture
def collected(api, data_dir, cli):
    result = cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2)
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_every_command(command, cli):
    result = cli(command, "--help")
    assert result.returncode == 0
    assert "usage: vultr-catalog" in result.stdout


def test_entry_point_runs_in_a_subprocess():
    """Smoke: `python -m pipeline` is the installed entry point's code."""
    result = run_cli("cheapest", "--help")
    assert result.returncode == 0 and "usage: vultr-catalog cheapest" in result.stdout


def test_usage_error_exits_2(cli):
    assert cli("cheapest").returncode == 2  # --region is required
    assert cli("collect", "--api-version", "v3").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_collect_prints_snapshot_and_exits_0(api, data_dir, cli):
    result = cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2)
    assert result.returncode == 0
    assert "snapshot 1 ok" in result.stdout


def test_collect_failure_is_one_line_and_catalog_untouched(api, collected):
    """Smoke, in a subprocess: exactly one stderr line, whatever the libraries log."""
    before = file_digest(catalog_path(collected))
    api.set_fault("/v2/plans", Fault("500"))
    result = run_cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(collected), *FAST_V2)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: GET /plans") and "HTTP 500" in lines[0]
    assert "Traceback" not in result.stderr
    assert file_digest(catalog_path(collected)) == before


def test_debug_shows_traceback(api, collected, cli):
    api.set_fault("/v2/os", Fault("html"))
    with pytest.raises(CatalogError):  # --debug lets the exception (and its traceback) through
        cli("--debug", "collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(collected), *FAST_V2)


def test_unreachable_api_is_an_error(data_dir, cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = cli("collect", "--base-url", f"http://127.0.0.1:{port}/v2", "--data-dir", str(data_dir))
    assert result.returncode == 1 and result.stderr.startswith("Error: GET /regions: connection failed")
    line, = result.stderr.strip().splitlines()  # the whole cause, on one line, not cut at "Failed to"
    assert line.endswith("Failed to establish a new connection: [Errno 111] Connection refused"), line
    assert not catalog_path(data_dir).exists()


def test_sql_formats(collected, cli):
    query = "select plan_id, monthly_cost_usd, hourly_cost_usd from plans where plan_id = 'vc2-1c-0.5gb-v6'"
    as_json = cli("sql", query, "--data-dir", str(collected), "--format", "json")
    assert as_json.returncode == 0
    rows = json.loads(as_json.stdout, parse_float=Decimal)
    assert rows == [{"plan_id": "vc2-1c-0.5gb-v6", "monthly_cost_usd": Decimal("2.50"),
                     "hourly_cost_usd": Decimal("0.003")}]
    assert '"hourly_cost_usd": 0.003' in as_json.stdout
    as_csv = cli("sql", query, "--data-dir", str(collected), "--format", "csv")
    assert as_csv.stdout.strip().splitlines() == ["plan_id,monthly_cost_usd,hourly_cost_usd", "vc2-1c-0.5gb-v6,2.50,0.003"]
    table = cli("sql", query, "--data-dir", str(collected))
    assert "vc2-1c-0.5gb-v6" in table.stdout and "2.50" in table.stdout


def test_sql_error_is_one_line(collected, cli):
    result = cli("sql", "select * from no_such_table", "--data-dir", str(collected))
    assert result.returncode == 1 and result.stderr.startswith("Error: Catalog Error")
    assert len(result.stderr.strip().splitlines()) == 1


def test_sql_without_catalog(data_dir, cli):
    result = cli("sql", "select 1", "--data-dir", str(data_dir))
    assert result.returncode == 1 and "run `vultr-catalog collect`" in result.stderr


def test_cheapest_json_contract_and_order(collected, cli):
    result = cli("cheapest", "--region", "fra", "--type", "vhf", "--data-dir", str(collected), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout, parse_float=Decimal)
    assert rows, "expected vhf plans in stock in fra"
    for key in ("plan_id", "plan_type", "vcpu_count", "ram_mb", "disk_gb", "monthly_cost_usd",
                "hourly_cost_usd", "region_id"):
        assert key in rows[0]
    assert {r["plan_type"] for r in rows} == {"vhf"} and {r["region_id"] for r in rows} == {"fra"}
    order = [(r["monthly_cost_usd"], -r["vcpu_count"], -r["ram_mb"], r["plan_id"]) for r in rows]
    assert order == sorted(order)
    assert all(r["is_in_stock"] for r in rows)


def test_cheapest_filters(collected, cli):
    result = cli("cheapest", "--region", "fra", "--min-vcpu", "2", "--min-ram-mb", "4096",
                     "--data-dir", str(collected), "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and all(r["vcpu_count"] >= 2 and r["ram_mb"] >= 4096 for r in rows)


def test_cheapest_unknown_region_lists_regions(collected, cli):
    result = cli("cheapest", "--region", "xyz", "--data-dir", str(collected))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown region 'xyz'") and "fra" in result.stderr


def test_fake_api_runs_in_foreground():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "fake-api", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().startswith(f"fake Vultr API at http://127.0.0.1:{port} ")
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/v2/regions", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and "regions" in response.json()
        assert requests.get(f"http://127.0.0.1:{port}/v1/regions/list", timeout=1).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_rebuild_and_cheapest_at(api, collected, cli):
    first_at = cli("sql", "select min(started_at) from snapshots", "--data-dir", str(collected), "--format", "csv")
    assert first_at.returncode == 0
    result = cli("rebuild", "--data-dir", str(collected))
    assert result.returncode == 0 and result.stdout.startswith("rebuilt from raw: 1 snapshot (1 applied)")
    before = cli("cheapest", "--region", "fra", "--at", "2000-01-01T00:00:00Z", "--data-dir", str(collected))
    assert before.returncode == 1 and "the history starts at" in before.stderr  # nothing was known in 2000
    bad = cli("cheapest", "--region", "fra", "--at", "yesterday", "--data-dir", str(collected))
    assert bad.returncode == 2 and "not an ISO-8601 timestamp" in bad.stderr


def test_demo_data_is_labelled(demo_dir, cli):
    result = cli("cheapest", "--region", "fra", "--data-dir", str(demo_dir), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)
    assert "demo data" in result.stderr


def test_sql_is_sandboxed(collected, tmp_path, cli):
    target = tmp_path / "written.csv"
    result = cli("sql", f"copy (select 1) to '{target}'", "--data-dir", str(collected))
    assert result.returncode == 1 and result.stderr.startswith("Error: COPY/EXPORT is refused")
    assert not target.exists()
    result = cli("sql", "select * from read_text('/etc/passwd')", "--data-dir", str(collected))
    assert result.returncode == 1 and "root:" not in result.stdout


def test_integer_sums_stay_integers(collected, cli):
    result = cli("sql", "select sum(vcpu_count) as vcpus, sum(monthly_cost_usd) as usd from plans",
                     "--data-dir", str(collected), "--format", "json")
    row = json.loads(result.stdout, parse_float=Decimal)[0]
    assert isinstance(row["vcpus"], int) and isinstance(row["usd"], Decimal)


def test_broken_catalog_file_is_one_line(tmp_path, cli):
    (tmp_path / "catalog.duckdb").write_bytes(b"not a database")
    for args in (["sql", "select 1"], ["cheapest", "--region", "fra"]):
        result = cli(*args, "--data-dir", str(tmp_path))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")


def test_malformed_api_key_is_refused_without_echo(api, data_dir, cli, monkeypatch):
    secret = "abc def-secret"
    monkeypatch.setenv("VULTR_API_KEY", secret)
    result = cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2)
    assert result.returncode == 1 and "VULTR_API_KEY" in result.stderr and secret not in result.stderr
    monkeypatch.setenv("VULTR_API_KEY", "good-key-0123456789\n")
    trimmed = cli("collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2)
    assert trimmed.returncode == 0
    assert {r[4].get("Authorization") for r in api.requests} == {"Bearer good-key-0123456789"}


def test_demo_refuses_a_real_data_directory(collected, cli):
    before = file_digest(catalog_path(collected))
    result = cli("demo", "--days", "0", "--no-serve", "--data-dir", str(collected))
    assert result.returncode == 1 and "holds collected (not demo) data" in result.stderr
    assert file_digest(catalog_path(collected)) == before


def test_rebuild_without_warehouse(data_dir, cli):
    result = cli("rebuild", "--data-dir", str(data_dir))
    assert result.returncode == 1 and result.stderr.startswith("Error: no warehouse in")
