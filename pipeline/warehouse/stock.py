"""Apply a stock poll: availability only, in as few and as cheap statements as a minute cadence affords.

A stock poll's answers are flat lists of plan ids, so they are read here with `json` instead of being
staged through SQL, and tidying, the quality gate and the diff against the current availability are
set operations on two small reads (the polled regions' in-stock pairs; the current plans and
regions). Each DuckDB statement costs a poll a millisecond or more, most of it planning: the one query
that did all this in SQL (with its staging table) cost 16 ms of a 45 ms poll; this costs about 3.
The outcome equals what the full collection's staging (staging/<version>/stg_availability.sql and
transform.tidy_staging) makes of the same answers: tests/test_apply.py holds the two to the same
rows. `rebuild` replays stock polls through this same path, so rebuilt and incremental history agree.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from pipeline.errors import AnomalyError, CatalogError
from pipeline.safe_text import shown
from pipeline.sql import load_sql
from pipeline.warehouse import holds
from pipeline.warehouse.holds import HoldOutcome
from pipeline.warehouse.requestlog import AVAILABILITY

log = logging.getLogger(__name__)
Pair = tuple[str, str]  # (region_id, plan_id)
# A pair as one string, as checks/stock_in_stock.sql returns it: a poll diffs ~100 pairs per region it
# polls, and string keys cost less to fetch, hash and compare than tuples. A region id never holds the
# separator (unit separator, chr(31)), so a key splits back at its first one.
SEPARATOR = "\x1f"


# The one optimizer pass a stock poll's statements need: it turns `where snapshot_id = ?` and the
# like into table filters, whose zone maps skip row groups (without it, reading the previous snapshot
# scans all of `snapshots`: 5 ms instead of 0.4 on a year of minute polls).
KEPT_OPTIMIZERS = frozenset({"filter_pushdown"})
_skipped_optimizers: list[str] = []  # the others, read once per process from the DuckDB in use


@contextmanager
def lean_planning(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a stock poll's statements with DuckDB's optimizer reduced to KEPT_OPTIMIZERS. They are ~18
    small fixed statements (point reads, short lists, updates by rowid); the other ~45 passes cost
    them more than the plans they improve (the poll's statements measured one by one, each way in
    turn: their total 15-35% less on a week of minute polls, 8-20% less on a year). Results never
    depend on it; only plans do. Reset afterwards, also when the poll fails."""
    if not _skipped_optimizers:
        names = [row[0] for row in con.execute("select name from duckdb_optimizers()").fetchall()]
        _skipped_optimizers.extend(sorted(set(names) - KEPT_OPTIMIZERS))
    # the names come from DuckDB itself, never from users; SET takes no bound parameter
    con.execute(f"set disabled_optimizers = '{','.join(_skipped_optimizers)}'")
    try:
        yield
    finally:
        con.execute("reset disabled_optimizers")


@dataclass(frozen=True)
class StockPoll:
    changes: list[tuple[str, str, str]]   # (change_type added|removed, region_id, plan_id), sorted
    warnings: list[str]                   # what tidying dropped, one line
    anomalies: list[str]                  # the quality gate's reasons to reject the poll
    closed_rowids: list[int]              # availability_history rows the removed pairs close
    holds: HoldOutcome = field(default_factory=HoldOutcome)  # regions held as suspect, or whose hold this poll resolves


@dataclass(frozen=True)
class Current:
    """The current catalog a poll is checked against (read in the poll's transaction)."""
    in_stock: dict[str, int]              # the polled regions' in-stock pairs (keys) -> their version's rowid
    priced: dict[str, bool]               # current plan ids -> whether the plan has a price
    regions: dict[str, str | None]        # current region ids -> their v1 DCID


def _change(change_type: str, key: str) -> tuple[str, str, str]:
    region_id, plan_id = key.split(SEPARATOR, 1)
    return change_type, region_id, plan_id


def answered_pairs(rows: dict[str, list[Any]], api_version: str) -> list[Pair]:
    """(region key, plan id) of every availability answer in `rows` (store.snapshot_body_rows): v2's
    `{"available_plans": [...]}` by region id, v1's bare list by DCID."""
    pairs = []
    for endpoint, region_key, body in zip(rows["endpoint"], rows["region_key"], rows["body"]):
        if endpoint == AVAILABILITY:
            pairs += [(region_key, plan_id) for plan_id in _plan_ids(body, api_version, region_key)]
    return pairs


def check_answers(rows: dict[str, list[Any]], api_version: str) -> None:
    """Every availability answer in `rows` is a list of plan ids, or AnomalyError names the first that
    is not (a full snapshot checks before its SQL staging, which would read one as no plan in stock)."""
    for endpoint, region_key, body in zip(rows["endpoint"], rows["region_key"], rows["body"]):
        if endpoint == "availability":
            _plan_ids(body, api_version, region_key)


def _plan_ids(body: str, api_version: str, region_key: str | None) -> list[str]:
    """The plan ids of one answer, as stg_availability reads them (from_json(..., '["varchar"]')): a
    scalar is cast to varchar (v1's ids are numbers), a null names no plan (dropped). An answer that is
    not a list, or lists an object or a list, is not a list of plan ids and rejects the snapshot: read
    as no plan, it would record every plan of the region as sold out."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CatalogError(f"normalizing availability: {exc}") from None
    field_name = "available_plans" if api_version == "v2" else "(the answer)"
    if api_version == "v2":
        doc = doc.get("available_plans", _MISSING) if isinstance(doc, dict) else _MISSING
    if not isinstance(doc, list):
        raise _malformed(region_key, field_name, doc)
    for index, item in enumerate(doc):
        if isinstance(item, (dict, list)):
            raise _malformed(region_key, f"{field_name}[{index}]", item)
    return [item if type(item) is str else _as_varchar(item) for item in doc if item is not None]


_MISSING = object()


def _malformed(region_key: str | None, field_name: str, sent: object) -> AnomalyError:
    what = "missing" if sent is _MISSING else shown(json.dumps(sent), 60)
    return AnomalyError(f"snapshot rejected: availability of region {shown(str(region_key))}: field `{field_name}` "
                        f"is not a list of plan ids (sent {what})")


def _as_varchar(item: object) -> str:
    """A JSON value other than a string as DuckDB casts it to varchar (v1 plan ids are numbers:
    201 -> '201'); `_plan_ids` passes strings through as they are."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, (int, float)):
        return repr(item)
    return json.dumps(item, separators=(",", ":"))


def read_poll(con: duckdb.DuckDBPyConnection, answered: list[Pair], regions: list[str] | None,
              answered_keys: list[str] | None = None, active: frozenset[str] = frozenset()) -> StockPoll:
    """What the poll's answered pairs change. `regions`: only these regions' answers are in `answered`
    (the others' availability is unchanged); None: every region's (a v1 poll: pairs keyed by DCID).
    `answered_keys`: the region keys (v1: DCIDs) that answered, empty answers too (None: those of the
    pairs); `active`: the regions held as suspect now (pipeline.warehouse.holds)."""
    current = read_current(con, regions)
    staged = _in_known_regions(answered, current, by_dcid=regions is None)
    kept = {region_id + SEPARATOR + plan_id for region_id, plan_id in staged if plan_id in current.priced}
    dropped = sorted(plan_id for _, plan_id in staged if plan_id not in current.priced)
    warnings = [dropped_warning(dropped)] if dropped else []
    anomalies = _anomalies(con, current, kept, regions)
    keys = {key for key, _ in answered} if answered_keys is None else answered_keys
    answered_regions = {region for region, _ in _in_known_regions([(k, "") for k in keys], current,
                                                                  by_dcid=regions is None)}
    outcome = holds.judge(_per_region(current.in_stock), _per_region(kept), answered_regions, active)
    kept |= {key for key in current.in_stock if key.split(SEPARATOR, 1)[0] in outcome.held}
    warnings += outcome.warnings()
    for warning in warnings:
        log.warning("staging: %s", warning)
    added, removed = sorted(kept - current.in_stock.keys()), sorted(current.in_stock.keys() - kept)
    changes = [_change("added", key) for key in added] + [_change("removed", key) for key in removed]
    return StockPoll(changes, warnings, anomalies, [current.in_stock[key] for key in removed], outcome)


def _per_region(keys: Iterable[str]) -> Counter[str]:
    return Counter(key.split(SEPARATOR, 1)[0] for key in keys)


def read_current(con: duckdb.DuckDBPyConnection, regions: list[str] | None) -> Current:
    # two small statements: a union with the pairs' filtered scan costs more to plan than both together
    pairs = con.execute(load_sql("warehouse/sql/checks/stock_in_stock.sql"), {"regions": regions}).fetchall()
    catalog = con.execute(load_sql("warehouse/sql/checks/stock_catalog.sql")).fetchall()
    return Current(dict(pairs),
                   {plan_id: is_priced for kind, plan_id, is_priced, _ in catalog if kind == "plan"},
                   {region_id: dcid for kind, region_id, _, dcid in catalog if kind == "region"})


def _in_known_regions(answered: list[Pair], current: Current, by_dcid: bool) -> set[Pair]:
    """The distinct answered pairs of regions the catalog knows (a v1 DCID mapped to its region id); a
    region unknown to it is left to the next full collection, unreported."""
    if by_dcid:
        region_of = {str(dcid): region_id for region_id, dcid in current.regions.items() if dcid is not None}
        answered = [(region_of.get(key, key), plan_id) for key, plan_id in answered]
    return {pair for pair in answered if pair[0] in current.regions}


def _anomalies(con: duckdb.DuckDBPyConnection, current: Current, kept: set[str], regions: list[str] | None) -> list[str]:
    """Of the full gate (checks/anomalies.sql) only two reasons can apply to a stock poll: its plans
    are the current ones, and only availability moves."""
    reasons = []
    if current.priced and not any(current.priced.values()):
        reasons.append("every plan price is zero or missing")
    if not kept:  # counted only then: a poll that keeps a pair in stock is never empty everywhere
        in_stock = len(current.in_stock) if regions is None else _count_in_stock(con)
        if in_stock and in_stock == len(current.in_stock):
            reasons.append(f"availability is empty in every region (was {in_stock} plan-region pairs)")
    return reasons


def _count_in_stock(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select count(*) from availability_history where valid_to is null").fetchall()[0][0])


def dropped_warning(plan_ids: list[str]) -> str:
    """The one line that reports availability dropped for naming a plan absent from the catalog."""
    names = sorted(set(plan_ids))  # each quoted cut to a fixed length: an id can be any size
    return (f"availability: {len(plan_ids)} region-plan pair(s) name a plan absent from the catalog "
            f"({', '.join(shown(name) for name in names[:5])}{', ...' if len(names) > 5 else ''}); dropped")


def record(con: duckdb.DuckDBPyConnection, snapshot_id: int, at: datetime, poll: StockPoll) -> int:
    """Write the poll's changes: their catalog_changes rows, then close the versions of the removed
    pairs (valid_to, by rowid: read in this transaction) and open those of the added ones; returns
    the catalog_changes rows recorded."""
    if not poll.changes:
        return 0
    columns = {name: [change[i] for change in poll.changes] for i, name in enumerate(("change_type", "region_id", "plan_id"))}
    con.execute(load_sql("warehouse/sql/history/stock_changes.sql"), {**columns, "snapshot_id": snapshot_id, "at": at})
    if poll.closed_rowids:
        con.execute("update availability_history set valid_to = $at where rowid in (select unnest(cast($rowids as bigint[])))",
                    {"at": at, "rowids": poll.closed_rowids})
    added = [change for change in poll.changes if change[0] == "added"]
    if added:
        con.execute(load_sql("warehouse/sql/history/stock_opened.sql"),
                    {"region_id": [c[1] for c in added], "plan_id": [c[2] for c in added], "at": at})
    return len(poll.changes)
