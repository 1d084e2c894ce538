"""Hardening (issue 14): failures say what happened and recover. A damaged warehouse is named as
damaged with the command that recovers (`repair`), stale publish temp files go, a publish failure
marks the snapshot failed, the state file is a warning, input files (state, rules, lock) give one
line, a bad rules file never stops a collection, and the dashboard explains a damaged catalog."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.cli import main
from pipeline.paths import catalog_path, lock_path, state_path, warehouse_path
from tests.conftest import FAST_V2, file_digest

APP = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"


def collect_cli(api, data_dir, *extra: str) -> int:
    return main(["collect", "--base-url", f"{api.base_url}/v2", "--data-dir", str(data_dir), *FAST_V2, *extra])


def one_line(capsys) -> str:
    (line,) = capsys.readouterr().err.strip().splitlines()
    return line


def snapshot_rows(data_dir) -> list[tuple]:
    con = duckdb.connect(str(warehouse_path(data_dir)), read_only=True)
    try:
        return con.execute("select snapshot_id, status, error from snapshots order by snapshot_id").fetchall()
    finally:
        con.close()


def truncate_half(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


def zero(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


@pytest.mark.parametrize("damage", [truncate_half, zero], ids=["half-truncated", "zeroed"])
def test_damaged_warehouse_is_named_and_repair_recovers(api, data_dir, capsys, damage):
    assert collect_cli(api, data_dir) == 0
    before = file_digest(catalog_path(data_dir))
    damage(warehouse_path(data_dir))
    capsys.readouterr()
    assert collect_cli(api, data_dir) == 1
    line = one_line(capsys)
    assert "the warehouse" in line and "is damaged" in line and "run `vultr-catalog repair --data-dir" in line
    assert "in use by another collector" not in line
    assert file_digest(catalog_path(data_dir)) == before  # nothing published from a damaged warehouse
    assert main(["repair", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "the damaged file is kept as" in out
    kept = [p for p in data_dir.iterdir() if p.name.startswith("warehouse.duckdb.damaged-")]
    assert len(kept) == 1
    # nothing of this tiny warehouse reads back: its history is restored from the catalog, said so
    assert ("the raw rows of 1 of the published catalog's 1 applied snapshots were unreadable, so the history "
            "up to snapshot 1 is restored from the catalog (kept, but `rebuild` cannot re-derive it)") in out
    assert out.strip().endswith("the published catalog stays as it is")
    assert file_digest(catalog_path(data_dir)) == before
    assert main(["rebuild", "--data-dir", str(data_dir)]) == 1  # it would drop the restored history
    assert "1 applied snapshot(s) (1-1) have no raw bodies" in one_line(capsys)
    assert file_digest(catalog_path(data_dir)) == before
    assert collect_cli(api, data_dir) == 0  # collecting works again, and continues the same history:
    assert capsys.readouterr().out.startswith("snapshot 2 ok: ")  # no new baseline
    assert [row[:2] for row in snapshot_rows(data_dir)] == [(1, "ok"), (2, "ok")]
    with duckdb.connect(str(catalog_path(data_dir)), read_only=True) as con:
        assert con.execute("select count(*) from catalog_changes").fetchone()[0] == 0
        assert con.execute("select count(distinct valid_from) from plans_history").fetchone()[0] == 1


def test_repair_with_no_readable_catalog_says_nothing_was_kept(api, data_dir, capsys):
    assert collect_cli(api, data_dir) == 0
    truncate_half(warehouse_path(data_dir))
    zero(catalog_path(data_dir))
    capsys.readouterr()
    assert main(["repair", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "repaired: 0 snapshots (0 applied, 0 lost), 0 raw bodies readable; the damaged file is kept as " in out
    assert "no history could be salvaged or restored from a readable catalog" in out
    assert collect_cli(api, data_dir) == 0
    assert "(baseline)" in capsys.readouterr().out


def test_repair_salvages_readable_raw_rows_and_republishes(api, data_dir, capsys):
    for _ in range(2):
        assert collect_cli(api, data_dir) == 0
    zero(catalog_path(data_dir))  # the catalog is damaged, the warehouse is fine
    capsys.readouterr()
    assert main(["sql", "select count(*) from plans", "--data-dir", str(data_dir)]) == 1
    assert "the catalog file" in one_line(capsys)
    assert main(["repair", "--data-dir", str(data_dir)]) == 0
    assert "the catalog is republished" in capsys.readouterr().out
    assert main(["sql", "select count(*) as n from snapshots", "--data-dir", str(data_dir), "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "2"]


def test_stale_publish_temp_files_are_removed_at_start(api, data_dir):
    assert collect_cli(api, data_dir) == 0
    stale = [data_dir / ".catalog.duckdb.4242.tmp", data_dir / ".catalog.duckdb.4242.tmp.wal"]
    for path in stale:
        path.write_bytes(b"x" * 1000)
    assert collect_cli(api, data_dir) == 0
    assert not any(p.exists() for p in stale)


def test_publish_failure_marks_the_snapshot_failed(api, data_dir, capsys):
    assert collect_cli(api, data_dir) == 0
    before = file_digest(catalog_path(data_dir))
    (data_dir / f".catalog.duckdb.{os.getpid()}.tmp").mkdir()  # the temp catalog cannot be written
    assert collect_cli(api, data_dir) == 1
    assert "publishing the catalog failed" in one_line(capsys)
    assert snapshot_rows(data_dir)[-1][1] == "failed"
    assert file_digest(catalog_path(data_dir)) == before


def test_state_file_failure_after_publish_is_a_warning(api, data_dir, capsys, caplog):
    assert collect_cli(api, data_dir) == 0
    state_path(data_dir).unlink()
    state_path(data_dir).mkdir()  # the state file cannot be replaced (as on a full disk)
    capsys.readouterr()
    assert collect_cli(api, data_dir) == 0
    assert capsys.readouterr().out.startswith("snapshot 2 ok")
    assert "the state file" in caplog.text and "could not be written" in caplog.text
    assert snapshot_rows(data_dir)[-1][1] == "ok"


BAD_STATE = [
    b'{"interval_s": "abc", "consecutive_failures": "x", "next_run_at": 5, "last_failure_at": "garbage", "pid": []}',
    b"\x00\xff\xfe binary",
    b'[1, 2, 3]',
    b'{"interval_s": NaN, "jitter_s": Infinity}',
]


@pytest.mark.parametrize("content", BAD_STATE, ids=["wrong-types", "binary", "not-an-object", "nan"])
def test_a_bad_state_file_never_gives_a_traceback(api, data_dir, capsys, content):
    assert collect_cli(api, data_dir) == 0
    state_path(data_dir).write_bytes(content)
    # a CDN's HTML page: a failure the client does not retry (a 500 costs 4 retries, 8 s of backoff)
    api.set_fault("/v2/os", __import__("pipeline.fakeapi", fromlist=["Fault"]).Fault("html"))
    assert collect_cli(api, data_dir) == 1  # the failure path reads consecutive_failures
    capsys.readouterr()
    state_path(data_dir).write_bytes(content)
    for fmt in ("text", "json"):
        assert main(["status", "--data-dir", str(data_dir), "--format", fmt]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"\xff\xfe\x00", b'{"pid": "abc", "command": 7}', b"[]"],
                         ids=["binary", "wrong-types", "not-an-object"])
def test_a_bad_lock_file_never_gives_a_traceback(api, data_dir, capsys, content):
    assert collect_cli(api, data_dir) == 0
    lock_path(data_dir).write_bytes(content)
    assert main(["status", "--data-dir", str(data_dir)]) == 0
    assert collect_cli(api, data_dir) == 0


BAD_RULES = [
    (b"\xff\xfe\x00\x01binary", "not UTF-8 text"),
    (b'[[rule]]\nname = "x"\nmax_monthly_cost_usd = nan', "max_monthly_cost_usd must be a number"),
    (b'[[rule]]\nname = "x"\nmax_monthly_cost_usd = inf', "max_monthly_cost_usd must be a number"),
    (b'[[rule]]\nname = "x"\n[delivery]\ntimeout_s = inf', "not nan or inf"),
    (b'[[rule]]\nname = "x"\n[delivery]\nmax_attempts = nan', "not nan or inf"),
    (b'[[rule]]\nname = "x"\n[delivery]\nbudget_s = 1e300', "positive number up to"),
]


@pytest.mark.parametrize("content, says", BAD_RULES, ids=["binary", "nan-money", "inf-money", "inf-timeout",
                                                         "nan-attempts", "huge-budget"])
def test_a_bad_rules_file_is_one_line_and_never_stops_collection(api, data_dir, tmp_path, capsys, content, says):
    rules = tmp_path / "rules.toml"
    rules.write_bytes(content)
    assert main(["alerts", "test", str(rules), "--data-dir", str(data_dir)]) == 1
    line = one_line(capsys)
    assert line.startswith("Error: ") and says in line
    assert collect_cli(api, data_dir, "--alerts", str(rules)) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().startswith("Error: ") and "alerts are disabled for this run" in captured.err
    assert captured.out.startswith("snapshot 1 ok")  # collected and published all the same
    assert catalog_path(data_dir).exists()


@pytest.fixture
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.usefixtures("clear_streamlit_caches")
@pytest.mark.parametrize("damage", [truncate_half, zero], ids=["half-truncated", "zeroed"])
def test_dashboard_names_a_damaged_catalog_and_the_command(demo_dir, tmp_path, monkeypatch, damage):
    broken = tmp_path / "data"
    broken.mkdir()
    (broken / "catalog.duckdb").write_bytes(catalog_path(demo_dir).read_bytes())
    damage(broken / "catalog.duckdb")
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(broken))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("app_pages/changes.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("the catalog file" in e and "is damaged: run `vultr-catalog repair" in e for e in errors), errors
