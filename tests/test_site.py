"""The static site without a browser: `vultr-catalog site` on the demo history writes every page and file;
the demo label is on each page; catalog.json matches its published schema and the catalog; the feeds are
Atom with stable ids; a Parquet file fetched over loopback HTTP reads back equal in DuckDB; a build that
dies or fails leaves the old site whole; `schedule --site` rebuilds it after a publish."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import duckdb
import jsonschema
import pytest

from pipeline import queries
from pipeline.queries.formatting import money
from pipeline.site.serve import site_server
from tests.conftest import ROOT, file_digest, free_port, ok_count, start_schedule, stop, wait_for

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(demo_dir, tmp_path_factory) -> Path:
    """One site built from the shared demo history by the command, as a user runs it (read-only for tests)."""
    out = tmp_path_factory.mktemp("site") / "public"
    result = subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir", str(demo_dir)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.match(r"site written \(demo data\): \d+ files", result.stdout)
    return out


def catalog_rows(demo_dir: Path, query: str) -> list[tuple]:
    with queries.catalog(demo_dir) as con:
        return con.execute(query).fetchall()


def test_every_page_feed_and_data_file_is_written(site, demo_dir):
    assert site.is_symlink() and site.resolve().parent.name == ".public.builds"
    regions = [r[0] for r in catalog_rows(demo_dir, "select region_id from regions")]
    plans = [r[0] for r in catalog_rows(demo_dir, "select plan_id from plans")]
    types = {r[0] for r in catalog_rows(demo_dir, "select distinct plan_type from plans")}
    relations = [r[0] for r in catalog_rows(demo_dir, "select table_name from information_schema.tables where table_catalog"
                                                      " = current_database() and not starts_with(table_name, '_')")]
    expected = ["index.html", "region/index.html", "plan/index.html", "availability/index.html", "changes/index.html",
                "about/index.html", "feed.atom", "data/catalog.json", "data/catalog.schema.json",
                *[f"region/{r}/index.html" for r in regions], *[f"plan/{p}/index.html" for p in plans],
                *[f"feeds/region/{r}.atom" for r in regions], *[f"feeds/type/{t}.atom" for t in types],
                *[f"data/{name}.parquet" for name in relations]]
    missing = [path for path in expected if not (site / path).is_file()]
    assert missing == []
    assert {"plans", "plan_prices", "availability", "plans_history", "catalog_changes"} <= set(relations)


def test_demo_data_is_labelled_on_every_page_with_the_collection_time(site, demo_dir):
    last_ok_at = catalog_rows(demo_dir, "select max(started_at) from snapshots where status = 'ok'")[0][0]
    collected = f"{last_ok_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<p class="demo" role="note"><strong>demo data</strong>' in html, page
        assert f"Data collected {collected}" in html, page
    about = (site / "about/index.html").read_text(encoding="utf-8")
    assert "<strong>This is demo data</strong>" in about and "<dt>Demo data</dt><dd>yes</dd>" in about


def test_catalog_json_matches_its_schema_and_the_catalog(site, demo_dir):
    document = json.loads((site / "data/catalog.json").read_text(encoding="utf-8"))
    schema = json.loads((site / "data/catalog.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["schema_version"] == 1 and document["is_demo"] is True
    prices = {(p, r): (m, s == "in_stock") for p, r, m, s in catalog_rows(
        demo_dir, "select pp.plan_id, pp.region_id, pp.monthly_cost_usd, m.status from plan_prices pp "
                  "left join (select plan_id, region_id, 'in_stock' as status from availability) m using (plan_id, region_id)")}
    published = {(p["plan_id"], r["region_id"]): (Decimal(r["monthly_cost_usd"]), r["is_in_stock"])
                 for p in document["plans"] for r in p["regions"]}
    assert published == prices  # every offered pair, exact money, stock now
    assert len(document["plans"]) == len(catalog_rows(demo_dir, "select plan_id from plans"))
    bad = dict(document, plans=[dict(document["plans"][0], monthly_cost_usd=5.0)])  # a float is not money here
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


def _feed(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):  # RFC 4287 4.1.1: required of a feed (author: or each entry)
        assert root.find(f"{ATOM}{name}") is not None, name
    return root


def test_feeds_are_atom_with_the_newest_changes_and_stable_ids(site, demo_dir, tmp_path):
    root = _feed(site / "feed.atom")
    entries = root.findall(f"{ATOM}entry")
    total = catalog_rows(demo_dir, "select count(*) from catalog_changes")[0][0]
    assert len(entries) == min(total, 500) > 0
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    for entry in entries:
        assert entry.find(f"{ATOM}title").text and entry.find(f"{ATOM}link").get("href")
    assert "(demo data)" in root.find(f"{ATOM}title").text
    fra = _feed(site / "feeds/region/fra.atom").findall(f"{ATOM}entry")
    assert fra and all(e.find(f"{ATOM}title").text.endswith(" in fra") for e in fra)
    for path in (site / "feeds").rglob("*.atom"):
        _feed(path)
    again = tmp_path / "again"  # another build of the same catalog: the same entries keep the same ids
    subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(again), "--data-dir", str(demo_dir)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    assert [e.find(f"{ATOM}id").text for e in _feed(again / "feed.atom").findall(f"{ATOM}entry")] == ids


@pytest.fixture
def served(site):
    server = site_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_parquet_fetched_over_loopback_http_reads_back_equal_in_duckdb(served, demo_dir, tmp_path):
    """DuckDB's httpfs extension cannot be installed offline here (it downloads from extensions.duckdb.org),
    so the file is fetched over loopback HTTP with urllib, as a browser or `curl` would, and DuckDB reads
    those bytes; `read_parquet('https://...')` reads the same bytes where httpfs is available."""
    for name in ("plan_prices", "plans_history", "catalog_changes"):
        with urllib.request.urlopen(f"{served}data/{name}.parquet", timeout=30) as response:
            assert response.status == 200
            (tmp_path / f"{name}.parquet").write_bytes(response.read())
        con = duckdb.connect()
        fetched = con.execute(f"select * from read_parquet('{tmp_path / name}.parquet') order by all").fetchall()
        assert fetched == catalog_rows(demo_dir, f"select * from {name} order by all") and fetched


def test_region_page_ranks_like_the_cheapest_command(site, demo_dir, cli):
    result = cli("cheapest", "--region", "fra", "--format", "json", "--data-dir", str(demo_dir))
    expected = json.loads(result.stdout)
    html = (site / "region/fra/index.html").read_text(encoding="utf-8")
    in_stock = html.split("<h2>In stock now")[1].split("<h2>")[0]
    shown = re.findall(r'<td><a href="\.\./\.\./plan/[^"]+/">([^<]+)</a></td>', in_stock)
    assert shown == [row["plan_id"] for row in expected]
    assert f"Cheapest plan in stock in Frankfurt: {expected[0]['plan_id']} — " in html
    assert f"{money(Decimal(str(expected[0]['monthly_cost_usd'])))}/month" in html


def _digests(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): file_digest(p) for p in site.rglob("*") if p.is_file()}


def _built_site(tmp_path: Path, demo_dir: Path) -> Path:
    out = tmp_path / "public"
    subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir", str(demo_dir)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    return out


def test_a_build_killed_half_way_leaves_the_old_site_whole(demo_dir, tmp_path):
    out = _built_site(tmp_path, demo_dir)
    before, link = _digests(out), os.readlink(out)
    builds = tmp_path / ".public.builds"
    for _attempt in range(3):  # the build is caught while writing (stopped, then killed); a finished one retries
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir",
                                    str(demo_dir)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: list(builds.glob("*.partial")) or process.poll() is not None, timeout_s=120,
                 what="the build to start writing")
        process.send_signal(signal.SIGSTOP)
        caught = os.readlink(out) == link and list(builds.glob("*.partial"))
        process.kill()
        process.wait(timeout=30)
        if caught:
            break
        link, before = os.readlink(out), _digests(out)  # it finished first: that is the old site now
    assert caught, "never caught a build half-way"
    assert os.readlink(out) == link and _digests(out) == before  # the old site, every file as it was
    assert list(builds.glob("*.partial"))  # what the killed build left, beside it
    subprocess.run([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir", str(demo_dir)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    assert os.readlink(out) != link and not list(builds.glob("*.partial"))  # the next build cleans up
    assert len([p for p in builds.iterdir() if p.is_dir()]) == 2  # the live build and the one before


def test_a_failed_build_keeps_the_old_site_and_says_why_in_one_line(demo_dir, tmp_path, cli):
    out = _built_site(tmp_path, demo_dir)
    before, link = _digests(out), os.readlink(out)
    result = cli("site", "--out", str(out), "--data-dir", str(tmp_path / "nothing-here"))
    assert result.returncode == 1 and result.stderr.startswith("Error: no catalog at") and result.stderr.count("\n") == 1
    assert os.readlink(out) == link and _digests(out) == before
    assert not list((tmp_path / ".public.builds").glob("*.partial"))


def test_out_must_not_be_a_folder_the_command_did_not_write(demo_dir, tmp_path, cli):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = cli("site", "--out", str(mine), "--data-dir", str(demo_dir))
    assert result.returncode == 1 and "did not write" in result.stderr
    assert (mine / "notes.txt").read_text() == "keep me" and not mine.is_symlink()


def test_schedule_rebuilds_the_site_after_every_publish(api, data_dir, tmp_path):
    site = tmp_path / "public"
    process = start_schedule(api, data_dir, "--site", str(site))
    try:
        wait_for(lambda: ok_count(data_dir) >= 2, what="two snapshots")

        def about_shows_the_latest() -> bool:
            newest = max(row[0] for row in catalog_rows(data_dir, "select snapshot_id from snapshots where status = 'ok'"))
            page = site / "about/index.html"
            return page.exists() and f"(snapshot {newest})" in page.read_text(encoding="utf-8") and newest >= 2

        wait_for(about_shows_the_latest, what="the site rebuilt for the latest snapshot")
    finally:
        assert stop(process) == 0
    assert site.is_symlink() and json.loads((site / "data/catalog.json").read_text())["is_demo"] is False


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_previews_the_site_until_stopped(demo_dir, tmp_path, stop_signal):
    out, port = tmp_path / "public", free_port()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "site", "--out", str(out), "--data-dir", str(demo_dir),
                                "--serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        def page() -> str | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/region/fra/", timeout=5) as response:
                    return response.read().decode("utf-8")
            except OSError:
                assert process.poll() is None, "site --serve exited early"
                return None

        assert "Cheapest plan in stock in Frankfurt" in wait_for(page, what="the preview server")
    finally:
        process.send_signal(stop_signal)  # SIGINT too where the test runner's shell ignores it (a background job)
        assert process.wait(timeout=60) == 0
    assert f"serving http://127.0.0.1:{port}/" in process.stdout.read()
