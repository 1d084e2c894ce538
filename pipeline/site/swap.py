"""Publishing a build atomically: the site directory `DIR` is a symbolic link to a finished build in
`.DIR.builds/` beside it, and a new build replaces that link with one rename (`os.replace`).

A reader (nginx, `python -m http.server`, a sync to a bucket) sees the old site or the new one, never a
mix; a build that dies half-way leaves only an unfinished folder in `.DIR.builds/` that the next build
removes. The previous build stays until the one after, so a page already being read is not pulled away.
Builds of one site take turns (an exclusive lock on `.DIR.builds/.lock`).
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline import queries

log = logging.getLogger(__name__)
UNFINISHED = ".partial"
KEEP = 2  # the live build and the one before it


class SiteError(queries.CatalogError):
    """The site cannot be written where it was asked to be."""


def builds_dir(site: Path) -> Path:
    return site.parent / f".{site.name}.builds"


def check_target(site: Path | str) -> None:
    """The site path must be free, an empty folder, or a link this command made."""
    site = Path(site).absolute()
    if site.is_symlink():
        if Path(os.readlink(site)).parent.name != builds_dir(site).name:
            raise SiteError(f"{site} is a link that `vultr-catalog site` did not make; choose another --out")
        return
    if site.is_dir() and any(site.iterdir()):
        raise SiteError(f"{site} is a folder that `vultr-catalog site` did not write (it writes a link to its "
                        f"builds in {builds_dir(site).name}/); choose a new --out or empty it")
    if site.exists() and not site.is_dir():
        raise SiteError(f"{site} exists and is not a folder")


@contextmanager
def new_build(site: Path) -> Iterator[Path]:
    """A fresh folder to build into; on success it becomes the site at once, else the old site stays."""
    site = site.absolute()
    check_target(site)
    builds = builds_dir(site)
    builds.mkdir(parents=True, exist_ok=True)
    with open(builds / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove_unfinished(builds)
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        work = builds / (name + UNFINISHED)
        work.mkdir()
        try:
            yield work
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        done = work.rename(builds / name)
        _point(site, done)
        _prune(builds, keep=done)


def _point(site: Path, build: Path) -> None:
    """Make `site` a link to `build` in one rename (a relative link, so the pair can move together)."""
    if site.is_dir() and not site.is_symlink():
        site.rmdir()  # an empty folder given as --out (check_target refused any other)
    link = site.parent / f".{site.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(build.parent.name) / build.name, target_is_directory=True)
    os.replace(link, site)


def _remove_unfinished(builds: Path) -> None:
    """Folders left by builds that died (this runs under the lock, so none is still being written)."""
    for path in builds.glob("*" + UNFINISHED):
        log.info("removing the unfinished build %s", path.name)
        shutil.rmtree(path, ignore_errors=True)


def _prune(builds: Path, keep: Path) -> None:
    finished = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.endswith(UNFINISHED))
    for path in finished[:-KEEP]:
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)
