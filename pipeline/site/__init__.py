"""The static public site: the published catalog as pages, data files and feeds that any web host serves.

A reader like app/: it imports nothing of pipeline but pipeline.queries (an import-linter contract in
pyproject.toml); its templates and assets are package data; no page makes a request off its host.
"""
from pipeline.site.build import SiteBuild, build_site
from pipeline.site.serve import serve_site
from pipeline.site.swap import SiteError, check_target

__all__ = ["SiteBuild", "SiteError", "build_site", "check_target", "serve_site"]
