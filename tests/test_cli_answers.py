"""Issue 23's CLI defects, in-process on the shared demo history: one formatter, a terminal-sized
`cheapest`, one-line errors, one shape for `--region any`, a busy port named at once."""
from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pipeline.queries import formatting as fmt
from tests.conftest import run_cli
from tests.test_cli_input import run as run_in_process


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """test_cli_input's in-process run, without the demo-data note on stderr (the error line is what counts)."""
    code, out, err = run_in_process(capsys, *argv)
    return code, out, "".join(line for line in err.splitlines(keepends=True) if not line.startswith("note: demo data"))


def test_one_formatter_money_percent_times_plurals_headline():
    assert fmt.money(Decimal("17520.000000")) == "$17,520.00"
    assert [fmt.money(Decimal("0.008000")), fmt.money(Decimal("0.5")), fmt.money(None)] == ["$0.008", "$0.50", "—"]
    assert fmt.money(Decimal("-1")) == "-$1.00" and fmt.money(Decimal("0.0089"), estimate=True) == "≈$0.0089"
    assert fmt.money_places([Decimal("0.008000"), Decimal("0.5"), None]) == 3
    assert [fmt.percent(0.93), fmt.percent(0.9602), fmt.percent(0.5333), fmt.percent(None)] == \
        ["93.0%", "96.0%", "53.3%", "—"]
    assert fmt.utc_text(datetime(2026, 11, 7, tzinfo=UTC)) == "2026-11-07 00:00 UTC"
    assert fmt.utc_text("2026-11-07T01:30:00+01:00") == "2026-11-07 00:30 UTC"
    assert [fmt.plural(1, "snapshot"), fmt.plural(1, "row"), fmt.plural(0, "row")] == ["1 snapshot", "1 row", "0 rows"]
    assert fmt.headline(1, 1024, 32, 1, Decimal("6.000000")) == "1 vCPU · 1 GB RAM · 32 GB disk · $6.00/month"
    assert fmt.headline(2, 4096, 80, 1, Decimal("0.036"), "hour") == "2 vCPUs · 4 GB RAM · 80 GB disk · $0.036/hour"
    assert fmt.decimal_text(Decimal("2.50")) == "2.50" and fmt.duration_text(9000) == "2h 30m"
    assert [fmt.header("monthly_cost_usd"), fmt.header("changed_at"), fmt.header("is_regional_price")] == \
        ["$/month", "changed at", "regional price"]
    assert [fmt.cell_text("new_value_usd", "22.500000"), fmt.cell_text("x", None), fmt.cell_text("n", Decimal("2.50"))] \
        == ["$22.50", "—", "2.50"]


def test_cheapest_fits_a_terminal_with_buyer_columns(capsys, demo_dir):
    code, out, _ = run(capsys, "cheapest", "--region", "any", "--include-sold-out", "--data-dir", str(demo_dir))
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 120
    assert out.split()[:3] == ["plan", "region", "$/month"]
    code, wide, _ = run(capsys, "cheapest", "--region", "fra", "--wide", "--data-dir", str(demo_dir))
    assert code == 0 and "base $/month" in wide and max(len(line) for line in wide.splitlines()) > 120
    code, picked, _ = run(capsys, "cheapest", "--region", "fra", "--columns", "plan_id,cpu_vendor",
                          "--data-dir", str(demo_dir))
    assert code == 0 and picked.splitlines()[0].split() == ["plan", "CPU", "vendor"]
    code, _, err = run(capsys, "cheapest", "--region", "fra", "--columns", "plan_id,nope", "--data-dir", str(demo_dir))
    assert code == 1 and err.startswith("Error: unknown column 'nope'; columns: plan_id, ")
    code, out, _ = run(capsys, "cheapest", "--region", "fra", "--format", "json", "--data-dir", str(demo_dir))
    assert code == 0 and len(json.loads(out)[0]) > 25  # json keeps every column


def test_money_in_tables_is_grouped_at_two_places(capsys, demo_dir):
    code, out, _ = run(capsys, "sql", "select 17520.000000::decimal(18, 6) as monthly_cost_usd, 2.50::decimal(5, 2) "
                       "as n, 0.5333::double as share", "--data-dir", str(demo_dir))
    assert code == 0 and "$17,520.00" in out and "2.50" in out.splitlines()[2] and "0.5333" in out


@pytest.mark.parametrize("argv, says", [
    (["cheapest", "--region", "fra", "--min-vcpu", "abc"], "Error: --min-vcpu: 'abc' is not a whole number (see --help)"),
    (["cheapest", "--region", "fra", "--limit", "0"], "Error: --limit: '0': expected a whole number >= 1 (see --help)"),
    (["cheapest", "--region", "fra", "--at", "2999-01-01"], "Error: --at: 2999-01-01 00:00 UTC is in the future"),
    (["serve", "--port", "http"], "Error: --port: 'http' is not a port number (0-65535) (see --help)"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.startswith(says) and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("flag, label, names", [("--gpu-type", "GPU type", "NVIDIA_"), ("--cpu-vendor", "CPU vendor", "AMD")])
def test_unknown_gpu_type_or_cpu_vendor_names_the_valid_ones(capsys, demo_dir, flag, label, names):
    code, _, err = run(capsys, "cheapest", "--region", "any", flag, "nope", "--data-dir", str(demo_dir))
    assert code == 1 and err.startswith(f"Error: unknown {label} 'nope'; {label}s: ")
    assert names in err and len(err.strip().splitlines()) == 1


def test_region_any_lists_each_plan_once_or_each_region_on_request(capsys, demo_dir):
    args = ("cheapest", "--region", "any", "--type", "vhf", "--format", "json", "--data-dir", str(demo_dir))
    _, once, _ = run(capsys, *args)
    _, pairs, _ = run(capsys, *args, "--each-region")
    once, pairs = json.loads(once), json.loads(pairs)
    first = {}
    for row in pairs:
        first.setdefault(row["plan_id"], row)
    assert [r["plan_id"] for r in once] == list(first) and len(pairs) > len(once)
    assert [r["region_id"] for r in once] == [r["region_id"] for r in first.values()]
    assert once[0]["region_count"] == len({r["region_id"] for r in pairs if r["plan_id"] == once[0]["plan_id"]})


@pytest.mark.parametrize("command", [["serve"], ["fake-api"], ["demo"]])
def test_a_busy_port_is_one_line_naming_it_before_anything_starts(tmp_path, command):
    """Checked before Streamlit (or the demo's build) starts, so the line comes at once (no timing here:
    bench_cli times the CLI's start)."""
    data_dir = [] if command == ["fake-api"] else ["--data-dir", str(tmp_path / "data")]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli(*command, "--port", str(port), *data_dir, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == (
        f"Error: port {port} on 127.0.0.1 is already in use: stop what uses it or choose another with --port")
    assert not (tmp_path / "data").exists()  # the demo built nothing


def test_a_preemptible_price_only_where_the_plan_can_run_preemptible(capsys, demo_dir):
    code, out, _ = run(capsys, "cheapest", "--region", "any", "--each-region", "--include-sold-out", "--format", "json",
                       "--data-dir", str(demo_dir))
    rows = json.loads(out)
    priced = [r for r in rows if r["monthly_cost_preemptible_usd"] is not None]
    assert code == 0 and priced and all(r["is_deployable_preemptible"] is not False for r in priced)
    assert any(r["is_deployable_preemptible"] is False for r in rows)  # such plans are listed, without that price


def test_an_alert_quotes_the_regions_price(priced_history):
    from pipeline import queries
    from pipeline.service.alerts.match import alert_text, clean_row, match_changes
    from pipeline.service.alerts.rules import Rule

    with queries.catalog(priced_history) as con:
        found = match_changes(con, (Rule(name="prices", entities=("plan_price",)),), -1, 2**31 - 1)
        assert not found.empty
        change = clean_row(found.iloc[0].to_dict())
        regional = queries.plan_prices(con, region_id=change["region_id"], plan_id=change["entity_id"],
                                       at=change["changed_at"])
    assert f"{fmt.money(regional['monthly_cost_usd'].iloc[0])}/month" in alert_text(change)


def test_the_search_matches_cpu_vendor_gpu_type_and_gpu(demo_dir):
    from app import grid
    from pipeline import queries

    with queries.catalog(demo_dir) as con:
        ranked = queries.one_per_plan_frame(queries.cheapest(con, queries.PlanFilter("any", in_stock_only=False)))
    amd = grid.search(ranked, "amd")
    assert len(amd) > len(ranked[ranked["plan_id"].str.contains("amd")])  # by CPU vendor too, not only the id
    assert set(grid.search(ranked, "gpu")["plan_id"]) == set(ranked[ranked["gpu_type"].notna()]["plan_id"])
    a16 = grid.search(ranked, "a16")
    assert not a16.empty and set(a16["gpu_type"]) == {"NVIDIA_A16"}


def test_network_errors_are_in_words_without_class_names():
    import requests
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError

    from pipeline.collect.http import _describe_exception
    from pipeline.collect.watchdog import WatchedHTTPConnection

    conn = WatchedHTTPConnection("example.invalid", 80)
    reasons = [ConnectTimeoutError(conn, "Connection to example.invalid timed out. (connect timeout=5)"),
               NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] Connection refused"),
               NameResolutionError("example.invalid", conn, OSError(-2, "Name or service not known"))]
    texts = [_describe_exception(requests.ConnectionError(MaxRetryError(None, "/v2/plans", r))) for r in reasons]
    texts += [_describe_exception(requests.exceptions.ChunkedEncodingError("Connection broken")),
              _describe_exception(requests.exceptions.TooManyRedirects("Exceeded 30 redirects."))]
    assert texts[0].endswith("Connection to example.invalid timed out. (connect timeout=5)")
    assert texts[1].endswith("Failed to establish a new connection: [Errno 111] Connection refused")
    assert texts[3:] == ["the answer broke off before its end", "too many redirects"]
    assert not [t for t in texts if "Watched" in t or "Error" in t or "object at" in t or "HTTPConnection" in t]
