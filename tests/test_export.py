"""`vultr-catalog export`: a Parquet export round-trips (row counts and a checksum over every column
match the catalog), history is Hive-partitioned by month, CSV has the same layout, the API key never
lands in an export, and an existing export is never clobbered by accident."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline import queries
from pipeline.collect.collector import collect
from pipeline.queries.export import MANIFEST, ExportError, export_catalog
from tests.conftest import fast_settings

HISTORY = {"regions_history", "plans_history", "operating_systems_history", "plan_locations_history",
           "availability_history", "catalog_changes", "snapshots"}
VIEWS = {"regions", "plans", "plan_locations", "availability", "operating_systems", "stock_summary"}


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [r[0] for r in fetch(con, f"select column_name from (describe {name})")]


def checksum(con: duckdb.DuckDBPyConnection, relation: str, cols: list[str]) -> tuple:
    """Row count and an order-independent checksum over the given columns."""
    quoted = ", ".join(f'"{c}"' for c in cols)
    return fetch(con, f"select count(*), sum(hash({quoted})) from {relation}")[0]


def reader(out: Path, table: dict, fmt: str) -> str:
    if table["partitioned_by"]:
        files = out / table["path"] / "*" / f"*.{fmt}"
        return f"read_{fmt}('{files}', hive_partitioning = true)"
    return f"read_{fmt}('{out / table['path']}')"


@pytest.fixture(scope="module")
def parquet_export(demo_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "parquet"
    export_catalog(out, "parquet", data_dir=demo_dir)
    return out


def manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text())


def test_parquet_export_has_every_public_relation(parquet_export: Path):
    tables = {t["name"]: t for t in manifest(parquet_export)["tables"]}
    assert set(tables) >= HISTORY | VIEWS
    for name in VIEWS:
        assert (parquet_export / f"{name}.parquet").is_file() and tables[name]["partitioned_by"] is None
    for name in HISTORY:
        months = [p.name for p in (parquet_export / name).iterdir()]
        assert months and all(m.startswith("month=") and len(m) == len("month=2026-11") for m in months), name


def test_parquet_round_trip_counts_and_checksums_match(parquet_export: Path, demo_dir: Path):
    reread = duckdb.connect()
    with queries.catalog(demo_dir) as con:
        for table in manifest(parquet_export)["tables"]:
            cols = columns(con, table["name"])
            expected = checksum(con, table["name"], cols)
            exported = f"(select * from {reader(parquet_export, table, 'parquet')})"
            assert checksum(reread, exported, cols) == expected, table["name"]
            assert expected[0] == table["rows"]
            exported_cols = set(columns(reread, exported)) - {"month"}
            assert exported_cols == set(cols), table["name"]


def test_partitions_hold_the_rows_of_their_month(parquet_export: Path, demo_dir: Path):
    files = parquet_export / "availability_history" / "*" / "*.parquet"
    con = duckdb.connect()
    wrong = fetch(con, f"select count(*) from read_parquet('{files}', hive_partitioning = true) "
                       "where strftime(timezone('UTC', valid_from), '%Y-%m') <> month")[0][0]
    assert wrong == 0
    with queries.catalog(demo_dir) as cat:
        months = {r[0] for r in fetch(cat, "select distinct strftime(timezone('UTC', changed_at), '%Y-%m') "
                                           "from catalog_changes")}
    assert {p.name for p in (parquet_export / "catalog_changes").iterdir()} == {f"month={m}" for m in months}


def test_csv_export_same_layout_and_counts(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "csv"
    summary = export_catalog(out, "csv", data_dir=demo_dir)
    assert summary.is_demo and summary.rows > 0
    con = duckdb.connect()
    for table in manifest(out)["tables"]:
        assert fetch(con, f"select count(*) from {reader(out, table, 'csv')}")[0][0] == table["rows"], table["name"]
    assert (out / "plans.csv").read_text().splitlines()[0].startswith("plan_id,plan_type,")


def test_refuses_a_non_empty_out_dir_and_overwrite_replaces_only_its_own(demo_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_catalog(out, "parquet", data_dir=demo_dir)
    export_catalog(out, "parquet", data_dir=demo_dir, overwrite=True)
    export_catalog(out, "csv", data_dir=demo_dir, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "plans.csv").exists() and not (out / "plans.parquet").exists()
    assert not list((out / "plans_history").rglob("*.parquet"))


def test_the_api_key_never_reaches_an_export(api, data_dir: Path, tmp_path: Path):
    key = "SECRET-KEY-4f1c9e"
    collect(fast_settings(api, data_dir, api_key=key))
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        export_catalog(out, fmt, data_dir=data_dir)
        for path in out.rglob("*"):
            assert not path.is_file() or key.encode() not in path.read_bytes(), path
    con = duckdb.connect()
    for table in manifest(tmp_path / "parquet")["tables"]:
        relation = reader(tmp_path / "parquet", table, "parquet")
        hits = fetch(con, f"select count(*) from {relation} t where contains(cast(t as varchar), '{key}')")
        assert hits[0][0] == 0, table["name"]


def test_cli_export_and_its_errors(demo_dir: Path, tmp_path: Path, cli, monkeypatch):
    monkeypatch.setenv("VULTR_CATALOG_DATA_DIR", str(demo_dir))
    done = cli("export", "--out", str(tmp_path / "x"))
    assert done.returncode == 0, done.stderr
    assert re.match(r"exported [\d,]+ tables \(demo data\), [\d,]+ rows", done.stdout) and (tmp_path / "x" / MANIFEST).exists()
    again = cli("export", "--out", str(tmp_path / "x"))
    assert again.returncode == 1 and again.stderr.startswith("Error: ") and "--overwrite" in again.stderr
    missing = cli("export", "--out", str(tmp_path / "y"), "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "no catalog" in missing.stderr and not (tmp_path / "y").exists()
    bad = cli("export", "--out", str(tmp_path / "z"), "--format", "xlsx")
    assert bad.returncode == 2


def test_the_documented_duckdb_query_runs_on_an_export(parquet_export: Path):
    page = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text(encoding="utf-8")
    (query,) = re.findall(r"^```sql\n(.*?)^```", page, flags=re.S | re.M)
    rows = duckdb.connect().execute(query.replace("'export/", f"'{parquet_export}/")).fetchall()
    assert rows and all(r[0] == "vc2-1c-1gb" for r in rows)
