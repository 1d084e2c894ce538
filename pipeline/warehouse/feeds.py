"""Which endpoints feed which entity, read from the staging models themselves (no list kept by hand).

An entity's history is merged again when the answers of one of its endpoints changed: those its staging
model reads (`where endpoint = 'os'`, `where endpoint in ('plans', 'plans_metal')`), those that feed a
staging table it reads (v1 maps DCIDs through `stg_regions`), and those of the entities it is restaged
with (pipeline.entities). The endpoint names are the sources' own (pipeline.collect.sources.v1 / v2,
the names their calls are logged under); tests/test_endpoints.py holds the two to each other, so a name
changed on one side fails there instead of silently skipping a merge.
"""
from __future__ import annotations

import re
from functools import cache

from pipeline.entities import ENTITIES, entity
from pipeline.sql import load_sql

ENDPOINT_FILTER = re.compile(r"\bendpoint\s*(?:=\s*'([^']+)'|in\s*\(([^)]*)\))")
STAGING_TABLE = re.compile(r"\b(stg_\w+)\b")
COMMENT = re.compile(r"--[^\n]*")
_BY_STAGING = {e.staging: e.name for e in ENTITIES}


def staging_sql(model: str, api_version: str) -> str:
    """A staging model's SQL without its comments (what it reads, not what it mentions)."""
    return COMMENT.sub("", load_sql(f"warehouse/sql/staging/{api_version}/{model}.sql"))


def endpoints_read(sql: str) -> frozenset[str]:
    """The endpoint names a model filters `_snapshot_bodies` on."""
    names: set[str] = set()
    for single, listed in ENDPOINT_FILTER.findall(sql):
        names |= {single} if single else set(re.findall(r"'([^']+)'", listed))
    return frozenset(names)


@cache
def sources(entity_name: str, api_version: str) -> frozenset[str]:
    """The endpoints whose changed answers restage the entity under this API version."""
    feeds = entity(entity_name)
    sql = staging_sql(feeds.staging, api_version)
    names = set(endpoints_read(sql))
    for table in set(STAGING_TABLE.findall(sql)) - {feeds.staging}:
        names |= sources(_BY_STAGING[table], api_version)
    for other in feeds.restaged_with:
        names |= sources(other, api_version)
    return frozenset(names)
