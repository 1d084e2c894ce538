"""The stock outlook: the stock_outlook view and the macro behind it, held to an independent computation
from availability_history for every pair; `stock` on the command line; "too few to say" under 3 sell-outs."""
from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline import queries
from pipeline.queries.formatting import span_text
from pipeline.queries.outlook import outlook_sentence


@pytest.fixture(scope="module")
def outlook(demo_dir: Path) -> dict[tuple[str, str], dict]:
    with queries.catalog(demo_dir) as con:
        found = queries.rows(con, "select * from stock_outlook")
    return {(r["plan_id"], r["region_id"]): r for r in (dict(zip(found.columns, row)) for row in found.rows)}


def expected_outlook(demo_dir: Path, window_days: int = 30) -> dict[tuple[str, str], dict]:
    """The same facts, computed in Python from the in-stock intervals."""
    with queries.catalog(demo_dir) as con:
        first, last = con.execute("select min(started_at), max(started_at) from snapshots where status = 'ok'").fetchone()
        intervals = con.execute("select plan_id, region_id, valid_from, valid_to from availability_history"
                                " order by plan_id, region_id, valid_from").fetchall()
        offered = con.execute("select distinct plan_id, region_id from plan_locations_history").fetchall()
    start = max(first, last - timedelta(days=window_days))
    by_pair: dict[tuple[str, str], list] = {pair: [] for pair in offered}
    for plan_id, region_id, valid_from, valid_to in intervals:
        by_pair.setdefault((plan_id, region_id), []).append((valid_from, valid_to))
    out = {}
    for pair, spans in by_pair.items():
        gaps = [(a[1], b[0]) for a, b in itertools.pairwise(spans)]
        durations = [(back - sold).total_seconds() for sold, back in gaps if back > start]
        enough = len(durations) >= 3
        in_stock_s = sum(max(0.0, ((to or last) - max(since, start)).total_seconds()) for since, to in spans)
        out[pair] = {
            "sell_out_count": len(durations),
            "median_sell_out_s": round(statistics.median(durations)) if enough else None,
            "p90_sell_out_s": round(statistics.quantiles(durations, n=10, method="inclusive")[8]) if enough else None,
            "longest_sell_out_s": round(max(durations)) if enough else None,
            "is_in_stock": bool(spans) and spans[-1][1] is None,
            "in_stock_share": round(in_stock_s / (last - start).total_seconds(), 4),
            "sold_out_since_at": spans[-1][1] if spans else None,
            "last_restocked_at": gaps[-1][1] if gaps else None,
        }
    return out


def test_stock_outlook_view_answers_every_pair_as_computed_from_the_history(outlook, demo_dir):
    expected = expected_outlook(demo_dir)
    assert set(outlook) == set(expected)
    assert any(e["sell_out_count"] >= 3 for e in expected.values())  # the demo has pairs with a number
    assert any(0 < e["sell_out_count"] < 3 for e in expected.values())  # and pairs with too few
    for pair, want in expected.items():
        got = {k: outlook[pair][k] for k in want}
        assert float(got["in_stock_share"]) == pytest.approx(want["in_stock_share"], abs=1e-4), pair
        got["in_stock_share"] = want["in_stock_share"]
        assert got == want, pair


def test_too_few_sell_outs_is_never_a_number(outlook):
    few = [r for r in outlook.values() if r["sell_out_count"] < 3]
    assert few and all(not r["has_enough_sell_outs"] and r["median_sell_out_s"] is None
                       and r["p90_sell_out_s"] is None for r in few)
    sentence = outlook_sentence(few[0])
    assert "too few to say" in sentence and "(median)" not in sentence


def test_outlook_sentence_reads_like_the_issue():
    row = {"window_days": 30, "sell_out_count": 12, "has_enough_sell_outs": True, "median_sell_out_s": 7500,
           "p90_sell_out_s": 32400}
    assert outlook_sentence(row) == "Over 30 days: 12 sell-outs, back within 2 h 05 min (median), 9 h (p90)."
    short = {**row, "sell_out_count": 2, "has_enough_sell_outs": False,
             "window_start_at": datetime(2026, 12, 5, tzinfo=UTC),
             "as_of_at": datetime(2026, 12, 7, tzinfo=UTC)}
    assert outlook_sentence(short) == "Since 2026-12-05 00:00 UTC: 2 sell-outs, too few to say how long one lasts."


@pytest.mark.parametrize("seconds, text", [
    (0, "under 1 min"), (45 * 60, "45 min"), (11400, "3 h 10 min"), (7500, "2 h 05 min"), (9 * 3600, "9 h"),
    (52 * 3600, "2 d 4 h"), (3 * 86400, "3 d"), (None, "—"),
])
def test_span_text(seconds, text):
    assert span_text(seconds) == text


def test_stock_command_formats(cli, demo_dir, outlook):
    plan_id, region_id = next(p for p, r in outlook.items() if r["sell_out_count"] >= 3)
    table = cli("stock", plan_id, "--data-dir", str(demo_dir))
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:3] == ["region", "in", "stock"]
    line = next(x for x in table.stdout.splitlines() if x.startswith(region_id + " "))
    assert span_text(outlook[(plan_id, region_id)]["p90_sell_out_s"]) in line
    assert "too few to say" in table.stdout or all(r["sell_out_count"] >= 3 for p, r in outlook.items()
                                                   if p[0] == plan_id)
    one = cli("stock", plan_id, "--region", region_id, "--days", "1", "--data-dir", str(demo_dir), "--format", "json")
    rows = json.loads(one.stdout)
    assert [(r["region_id"], r["window_days"]) for r in rows] == [(region_id, 1)]
    assert rows[0]["sell_out_count"] <= outlook[(plan_id, region_id)]["sell_out_count"]
    as_csv = cli("stock", plan_id, "--data-dir", str(demo_dir), "--format", "csv")
    assert {r["region_id"] for r in csv.DictReader(io.StringIO(as_csv.stdout))} == {
        r for p, r in outlook if p == plan_id}


@pytest.mark.parametrize("args, code, message", [
    (("stock", "vc2-1c-1gbx"), 1, "Error: unknown plan 'vc2-1c-1gbx'; did you mean vc2-1c-1gb"),
    (("stock", "vc2-1c-1gb", "--region", "atlantis"), 1, "Error: unknown region 'atlantis'"),
    (("stock", "vc2-1c-1gb", "--days", "0"), 2, "expected a whole number >= 1"),
])
def test_stock_command_bad_input(cli, demo_dir, args, code, message):
    result = cli(*args, "--data-dir", str(demo_dir))
    assert result.returncode == code and message in result.stderr and result.stdout == ""
