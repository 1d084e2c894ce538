"""`vultr-catalog site`: the published catalog as a static site, built aside and swapped in at once."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline import queries
from pipeline.site import pages
from pipeline.site.feeds import feeds
from pipeline.site.files import SCHEMA_VERSION, write_catalog_json, write_parquet
from pipeline.site.read import read_site_data
from pipeline.site.swap import new_build

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteBuild:
    out: Path           # the site (a link to the build)
    build: Path         # the build folder it points to
    files: int
    size_bytes: int
    seconds: float
    is_demo: bool


def build_site(out: Path | str, data_dir: Path | str | None = None, base_url: str | None = None,
               now: datetime | None = None) -> SiteBuild:
    """Write the whole site for the catalog in data_dir and make it `out` in one step. On any failure
    the site that was there stays as it was."""
    started = time.perf_counter()
    out = Path(out)
    base = base_url.rstrip("/") + "/" if base_url else None
    with new_build(out) as folder:
        with queries.catalog(data_dir) as con:
            data = read_site_data(con, now or datetime.now(UTC))
            parquet = write_parquet(con, folder / "data")
        write_catalog_json(data, folder / "data")
        written = _write_pages(data, folder, parquet)
        for path, text in feeds(data, base).items():
            _write(folder / path, text)
    files = [p for p in folder.parent.joinpath(folder.name.removesuffix(".partial")).rglob("*") if p.is_file()]
    result = SiteBuild(out, out.resolve(), len(files), sum(p.stat().st_size for p in files),
                       time.perf_counter() - started, data.is_demo)
    log.info("site built: %d files (%d pages), %.1f MB, %.2fs in %s", result.files, written,
             result.size_bytes / 1e6, result.seconds, out)
    return result


def _write_pages(data, folder: Path, parquet: list[str]) -> int:
    written = [("index.html", pages.finder_page(data)), ("region/index.html", pages.regions_page(data)),
               ("plan/index.html", pages.plans_page(data)), ("availability/index.html", pages.availability_page(data)),
               ("changes/index.html", pages.changes_page(data)),
               ("about/index.html", pages.about_page(data, parquet, SCHEMA_VERSION)),
               *pages.region_pages(data), *pages.plan_pages(data)]
    for path, html in written:
        _write(folder / path, html)
    return len(written)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
