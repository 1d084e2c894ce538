"""No false sell-outs: a region whose in-stock list goes from at least SUSPECT_MIN_PLANS plans to empty
in one poll is held as suspect. Its availability is left as it was (no change, so no alert) until the
next snapshot that answers for the region: still empty confirms the sell-out, which is applied then
(one poll later); plans listed again clear the hold (a glitch of one answer, nothing applied). Holds
are rows of `availability_holds` (migration 012), written in the snapshot's transaction.

One rule for both paths: a stock poll counts its pairs in Python (stock.read_poll), a full snapshot
counts its staging (hold_staged); both hand the counts to `judge`."""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

SUSPECT_MIN_PLANS = 5


@dataclass(frozen=True)
class HoldOutcome:
    held: dict[str, int] = field(default_factory=dict)  # region -> plans it had in stock; held now
    confirmed: list[str] = field(default_factory=list)  # held before, still empty: applied now
    recovered: list[str] = field(default_factory=list)  # held before, plans listed again: nothing applied

    def warnings(self) -> list[str]:
        lines = [f"availability: region {region} went from {count} plans in stock to none in one poll: held as "
                 "suspect, applied only if the next poll confirms it" for region, count in sorted(self.held.items())]
        if self.confirmed:
            lines.append(f"availability: the sell-out of {', '.join(self.confirmed)} held one poll is confirmed: applied")
        if self.recovered:
            lines.append(f"availability: {', '.join(self.recovered)} list plans again: the empty answer held one "
                         "poll was a glitch, nothing applied")
        return lines


def judge(current: Counter[str], new: Counter[str], answered: Iterable[str], active: Collection[str]) -> HoldOutcome:
    """Per answered region: in-stock plans before (`current`) and in this answer (`new`, after tidying);
    `active`: the regions held now."""
    outcome = HoldOutcome()
    for region in sorted(set(answered)):
        if region in active:
            (outcome.confirmed if not new[region] else outcome.recovered).append(region)
        elif not new[region] and current[region] >= SUSPECT_MIN_PLANS:
            outcome.held[region] = current[region]
    return outcome


def active_holds(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    rows = con.execute("select region_id from availability_holds where resolved_snapshot_id is null").fetchall()
    return frozenset(row[0] for row in rows)


def hold_staged(con: duckdb.DuckDBPyConnection, api_version: str, active: Collection[str]) -> HoldOutcome:
    """A full snapshot: judge its staged availability (stg_availability) per answered region, and put a
    held region's current pairs back into staging, so the merge changes nothing there."""
    current = Counter(dict(con.execute("select region_id, count(*) from availability_history"
                                       " where valid_to is null group by region_id").fetchall()))
    new = Counter(dict(con.execute("select region_id, count(*) from stg_availability group by region_id").fetchall()))
    answered = [row[0] for row in con.execute(
        "select distinct coalesce(r.region_id, b.region_key) from _snapshot_bodies b left join stg_regions r"
        " on $v1 and r.dcid = b.region_key where b.endpoint = 'availability'", {"v1": api_version == "v1"}).fetchall()]
    outcome = judge(current, new, answered, active)
    if outcome.held:
        con.execute("insert into stg_availability by name select region_id, plan_id from availability_history"
                    " where valid_to is null and list_contains($held, region_id)", {"held": sorted(outcome.held)})
    return outcome


def record(con: duckdb.DuckDBPyConnection, snapshot_id: int, at: datetime, outcome: HoldOutcome) -> None:
    """Resolve the holds this snapshot judged, and open the new ones."""
    for regions, result in ((outcome.confirmed, "confirmed"), (outcome.recovered, "recovered")):
        if regions:
            con.execute("update availability_holds set resolved_snapshot_id = $snapshot_id, resolved_at = $at,"
                        " outcome = $outcome where resolved_snapshot_id is null and list_contains($regions, region_id)",
                        {"snapshot_id": snapshot_id, "at": at, "outcome": result, "regions": regions})
    if outcome.held:
        con.execute("insert into availability_holds (region_id, plan_count, held_snapshot_id, held_at)"
                    " select unnest($regions), unnest($counts), $snapshot_id, $at",
                    {"regions": list(outcome.held), "counts": list(outcome.held.values()),
                     "snapshot_id": snapshot_id, "at": at})
