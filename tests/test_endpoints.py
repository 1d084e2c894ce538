"""Endpoint names are declared once, by the sources, and read by the staging models; which entity each
feeds is derived from those models (pipeline.warehouse.feeds). These tests hold the two sides to each
other: a name changed on one side only would otherwise skip a history merge without a word."""
from __future__ import annotations

import pytest

from pipeline.collect.sources import v1, v2
from pipeline.entities import ENTITIES
from pipeline.sql import sql_files
from pipeline.warehouse import feeds
from pipeline.warehouse.requestlog import AVAILABILITY

DECLARED = {"v2": {e.name for e in v2.ENDPOINTS}, "v1": {name for name, _, _ in v1.ENDPOINTS}}


def read_by(folder: str) -> dict[str, frozenset[str]]:
    return {path.name: feeds.endpoints_read(feeds.COMMENT.sub("", path.read_text(encoding="utf-8")))
            for path in sql_files(folder)}


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_staging_models_read_exactly_the_endpoints_the_source_declares(version):
    read = read_by(f"warehouse/sql/staging/{version}")
    assert set().union(*read.values()) == DECLARED[version]


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_every_entity_is_fed_by_declared_endpoints(version):
    for entity in ENTITIES:
        assert feeds.sources(entity.name, version), entity.name
        assert feeds.sources(entity.name, version) <= DECLARED[version], entity.name


def test_the_checks_name_only_declared_endpoints():
    named = read_by("warehouse/sql/checks")
    assert any(named.values())
    assert set().union(*named.values()) <= DECLARED["v2"] | DECLARED["v1"]


def test_the_availability_endpoint_is_one_name():
    assert AVAILABILITY == v2.AVAILABILITY.name == v1.AVAILABILITY[0]
    assert all(feeds.endpoints_read(feeds.staging_sql("stg_availability", v)) == {AVAILABILITY} for v in DECLARED)


def test_a_staging_model_reading_a_renamed_endpoint_is_caught():
    """What the first test sees when one side renames: a name read that no source declares."""
    renamed = feeds.staging_sql("stg_plans", "v2").replace("'plans_metal'", "'plans-metal'")
    assert feeds.endpoints_read(renamed) - DECLARED["v2"] == {"plans-metal"}


def test_an_entity_restaged_with_another_gets_its_endpoints_and_v1_dcids_bring_regions():
    assert feeds.sources("availability", "v2") == {"availability", "plans", "plans_metal"}
    assert feeds.sources("plan_location", "v1") == {"plans", "regions"}
