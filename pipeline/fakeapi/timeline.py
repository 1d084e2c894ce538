"""A living v2 catalog: stock, prices, plans and regions that change over simulated time.

The state at any instant is a pure function of (seed, hour), computed in O(catalog size):
every (region, plan) pair flips stock at its own episode boundaries, decided by seeded
hashing of (pair, episode); prices change on per-plan periodic schedules; plan additions,
retirements and region launches are fixed at construction. Nothing is replayed hour by
hour, so ``catalog_at`` for a year from now costs the same as for the first hour.

How it moves (rates chosen to look like the real catalog):

* stock: ~5 % of pairs are volatile (sell out most days and restock within hours, ~35 % of
  the time out); the rest sell out about twice a month for a day or two (~12 % out). How long
  a sell-out lasts is synthetic, not measured: each pair has a typical duration (set mostly by
  its plan, so plans differ: 2-10 h volatile, 12-60 h stable) and each sell-out draws its own
  around it (log-normal, spread ``SELL_OUT_SPREAD``), so durations vary like queues do;
* prices: about three changes a month across the whole catalog, each between 0.9x and 1.2x
  of the recorded price;
* regional prices: each ``location_cost`` override changes on its own schedule (about monthly
  across all overrides), between 0.9x and 1.2x of the recorded override;
* plans: three added and two retired over the first ``horizon_days``;
* regions: two of the 32 are launched later (one within a few months, the other later);
* schema drift: from ``drift_at`` on (default: a seeded day in months 4-8) every plan carries a
  field no recording has (``DRIFT_FIELD``), as the live API adds fields over time.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist
from typing import Any

from .catalogs import DEFAULT_CATALOG, Item, V2Catalog, build_v2
from .hashing import key64, mix64, unit
from .synth import extra_os, hourly, large_plans, money

HOUR = timedelta(hours=1)
NEVER = 1 << 62  # an hour index beyond any simulation
PRICE_CHANGES_PER_MONTH = 3.0
HOURS_PER_MONTH = 730
VOLATILE_SHARE = 0.05
# (typical sell-out range in hours, chance an episode starts with a sell-out); episodes of a volatile
# pair last 3x its typical sell-out, a stable pair's a week
VOLATILE_SELL_OUT_H, VOLATILE_SELL_OUT_CHANCE = (2.0, 10.0), 0.9
STABLE_SELL_OUT_H, STABLE_SELL_OUT_CHANCE, STABLE_EPISODE_H = (12.0, 60.0), 0.45, 168
SELL_OUT_SPREAD = 0.6  # sigma of log(duration / typical): a p90 of about 2.2x the median
_EVEN, _ODD = (Decimal("1"), Decimal("1.2")), (Decimal("0.9"), Decimal("1.1"))
REGIONAL_CHANGES_PER_MONTH = 1.0
_NORMAL = NormalDist()
DRIFT_FIELD = "network_speed_gbps"  # never recorded: the field the living API starts sending


def _price_after(base: Decimal, key: int, n: int) -> Decimal:
    """The price after the n-th change; consecutive levels never coincide (even/odd sets)."""
    if n <= 0:
        return base
    mult = (_ODD if n % 2 else _EVEN)[mix64(key, n) & 1]
    step = Decimal("1") if base >= 10 else Decimal("0.1")
    return (base * mult / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step


@dataclass(frozen=True)
class _PlanLife:
    item: Item
    key: int
    added_h: int
    retired_h: int
    price_period_h: int
    price_phase_h: int
    regional: tuple[tuple[str, int, int, int], ...] = ()  # (region, key, period, phase) per override

    def active(self, h: int) -> bool:
        return self.added_h <= h < self.retired_h

    def changes_by(self, h: int) -> int:
        """How many price changes happened at or before hour h."""
        return 0 if h < self.price_phase_h else (h - self.price_phase_h) // self.price_period_h + 1

    def price(self, h: int) -> Decimal:
        return _price_after(Decimal(str(self.item["monthly_cost"])), self.key, self.changes_by(h))

    def regional_changes_by(self, h: int) -> tuple[int, ...]:
        """Price changes so far of each ``location_cost`` override (in the item's region order)."""
        return tuple(0 if h < phase else (h - phase) // period + 1 for _, _, period, phase in self.regional)

    def regional_price(self, index: int, h: int) -> Decimal:
        rid, key, _, _ = self.regional[index]
        base = Decimal(str(self.item["location_cost"][rid]["monthly_cost"]))
        return _price_after(base, key, self.regional_changes_by(h)[index])


@dataclass(frozen=True)
class _Pair:
    """The stock schedule of one offered (region, plan): time is cut into episodes of ``length``
    hours; an episode starts with a sell-out with probability ``chance``, lasting a log-normal draw
    around ``typical_h`` (at least 1 h, and always ending before the episode does, so sell-outs never
    merge and each one's duration is its own draw)."""

    index: int  # into the timeline's plan lives
    region_id: str
    key: int
    length: int
    offset: int
    chance: float
    typical_h: float

    def sell_out_h(self, episode: int) -> int:
        """Hours the episode starts sold out (0: no sell-out in it)."""
        if unit(self.key, 2 * episode) >= self.chance:
            return 0
        z = _NORMAL.inv_cdf(min(max(unit(self.key, 2 * episode + 1), 1e-9), 1 - 1e-9))
        return min(self.length - 1, max(1, round(self.typical_h * math.exp(SELL_OUT_SPREAD * z))))

    def out(self, h: int) -> bool:
        episode, position = divmod(h + self.offset, self.length)
        return position < self.sell_out_h(episode)

    def flips_between(self, h0: int, h1: int) -> list[int]:
        """Hours in (h0, h1] at which the stock may flip: each episode's start and its restock."""
        hours = []
        for episode in range((h0 + 1 + self.offset) // self.length, (h1 + self.offset) // self.length + 1):
            start = episode * self.length - self.offset
            hours += [h for h in (start, start + self.sell_out_h(episode)) if h0 < h <= h1]
        return sorted(set(hours))


class Timeline:
    """The v2 catalog as a function of time, for ``FakeVultr(timeline=...)``."""

    def __init__(
        self,
        seed: int = 0,
        start_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        regions: list[Item] | None = None,
        plans: list[Item] | None = None,
        scale: str = "default",
        plans_metal: list[Item] | None = None,
        os: list[Item] | None = None,
        horizon_days: int = 365,
        drift_at: datetime | None = None,
        catalog: str = DEFAULT_CATALOG,
    ) -> None:
        if scale not in ("default", "large"):
            raise ValueError("scale is 'default' (the 2026 catalog) or 'large' (~240 plans)")
        if start_at.tzinfo is None:
            raise ValueError("start_at must be timezone-aware")
        base = build_v2(catalog)
        self.seed, self.start_at, self.scale = seed, start_at, scale
        self.regions = list(regions if regions is not None else base.regions)
        region_ids = [r["id"] for r in self.regions]
        plan_list = list(plans if plans is not None else base.plans)
        os_list = list(os if os is not None else base.os)
        if scale == "large":  # the default catalog's slice of each family is already there
            known = {p["id"] for p in plan_list}
            plan_list += [p for p in large_plans(region_ids, seed) if p["id"] not in known]
            os_list += extra_os()
        self.os = tuple(os_list)
        metal = list(plans_metal if plans_metal is not None else base.plans_metal)
        horizon_h = horizon_days * 24
        self.drift_h = (self.hour_of(drift_at) if drift_at is not None
                        else 24 * (120 + int(unit(key64("drift", seed)) * 120)))
        self.launch_h = self._schedule_launches(region_ids)
        size = len(plan_list) + len(metal)  # price changes are spread over both
        self._plans = self._plan_lives(plan_list, horizon_h, size)
        self._metal = self._plan_lives(metal, horizon_h, size, add_and_retire=False)
        self._pairs = self._build_pairs()
        self._cache: OrderedDict[int, V2Catalog] = OrderedDict()
        self._lock = threading.Lock()

    # -- construction ------------------------------------------------------------------
    def _schedule_launches(self, region_ids: list[str]) -> dict[str, int]:
        """Two regions (seeded pick) launch later: one after 2-4 months, one after 5-8."""
        order = sorted(region_ids, key=lambda r: key64("launch", self.seed, r))
        launch = {r: -NEVER for r in region_ids}  # the rest exist since forever
        windows = [(60, 120), (150, 240)]
        for rid, (lo, hi) in zip(order, windows if len(region_ids) > 2 else []):
            launch[rid] = 24 * (lo + int(unit(key64("launch-day", self.seed, rid)) * (hi - lo)))
        return launch

    def _plan_lives(
        self, items: list[Item], horizon_h: int, catalog_size: int, add_and_retire: bool = True
    ) -> list[_PlanLife]:
        """Seeded lifetimes (3 added, 2 retired in the horizon) and price schedules."""
        ranked = sorted((p for p in items if p.get("locations")),
                        key=lambda p: key64("life", self.seed, p["id"]))
        added = {p["id"] for p in ranked[:3]} if add_and_retire else set()
        retired = {p["id"] for p in ranked[3:5]} if add_and_retire else set()
        mean_period = max(1, int(catalog_size / PRICE_CHANGES_PER_MONTH * HOURS_PER_MONTH))
        overrides = sum(len(p.get("location_cost") or {}) for p in items)
        regional_period = max(1, int(overrides / REGIONAL_CHANGES_PER_MONTH * HOURS_PER_MONTH))
        lives = []
        for item in items:
            key = key64("plan", self.seed, item["id"])
            when = int(unit(key, 1) * horizon_h)
            period = max(24, int(mean_period * (0.5 + unit(key, 2))))
            lives.append(_PlanLife(
                item=item, key=key,
                added_h=when if item["id"] in added else -NEVER,
                retired_h=when if item["id"] in retired else NEVER,
                price_period_h=period, price_phase_h=int(unit(key, 3) * period),
                regional=self._regional_schedules(item, regional_period),
            ))
        return lives

    def _regional_schedules(self, item: Item, mean_period: int) -> tuple[tuple[str, int, int, int], ...]:
        out = []
        for rid in item.get("location_cost") or {}:
            key = key64("regional", self.seed, item["id"], rid)
            period = max(24, int(mean_period * (0.5 + unit(key, 2))))
            out.append((rid, key, period, int(unit(key, 3) * period)))
        return tuple(out)

    def _build_pairs(self) -> list[_Pair]:
        """One stock schedule per offered pair; its typical sell-out comes mostly from its plan."""
        known = set(self.launch_h)
        pairs = []
        for index, life in enumerate(self._plans + self._metal):
            plan_key = key64("plan-stock", self.seed, life.item["id"])
            for rid in life.item.get("locations", []):
                if rid not in known:
                    continue
                key = key64("pair", self.seed, rid, life.item["id"])
                volatile = unit(key, -1) < VOLATILE_SHARE
                (lo, hi), chance = ((VOLATILE_SELL_OUT_H, VOLATILE_SELL_OUT_CHANCE) if volatile
                                    else (STABLE_SELL_OUT_H, STABLE_SELL_OUT_CHANCE))
                typical = (lo + unit(plan_key) * (hi - lo)) * (0.8 + 0.4 * unit(key, -2))  # region: +-20 %
                length = max(4, round(3 * typical)) if volatile else STABLE_EPISODE_H
                pairs.append(_Pair(index, rid, key, length, int(unit(key, -3) * length), chance, typical))
        return pairs

    # -- state at an instant -----------------------------------------------------------
    def hour_of(self, at: datetime) -> int:
        """Whole simulated hours since ``start_at`` (negative before it)."""
        return (at - self.start_at) // HOUR

    def catalog_at(self, at: datetime) -> V2Catalog:
        """The catalog as served at ``at`` (aware datetime); cached per hour."""
        h = self.hour_of(at)
        with self._lock:
            cached = self._cache.get(h)
            if cached is not None:
                self._cache.move_to_end(h)
                return cached
        catalog = self._build(h)
        with self._lock:
            self._cache[h] = catalog
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return catalog

    def _build(self, h: int) -> V2Catalog:
        launched = {rid for rid, when in self.launch_h.items() if when <= h}
        lives = self._plans + self._metal
        active = [life.active(h) for life in lives]
        stock: dict[str, set[str]] = {rid: set() for rid in launched}
        for pair in self._pairs:
            if active[pair.index] and pair.region_id in launched and not pair.out(h):
                stock[pair.region_id].add(lives[pair.index].item["id"])
        return V2Catalog(
            regions=tuple(r for r in self.regions if r["id"] in launched),
            plans=tuple(self._item_at(life, h, launched) for life in self._plans if life.active(h)),
            plans_metal=tuple(self._item_at(life, h, launched) for life in self._metal if life.active(h)),
            os=self.os,
            in_stock={rid: frozenset(ids) for rid, ids in stock.items()},
        )

    def _item_at(self, life: _PlanLife, h: int, launched: set[str]) -> Item:
        """The plan as served at hour h: current prices, launched locations only, drift field."""
        locations = life.item.get("locations", [])
        n, regional = life.changes_by(h), life.regional_changes_by(h)
        drifted = h >= self.drift_h
        if n == 0 and not any(regional) and not drifted and all(rid in launched for rid in locations):
            return life.item  # unchanged: share the recorded dict (never mutated)
        item = dict(life.item)
        item["locations"] = [rid for rid in locations if rid in launched]
        if n:
            _set_prices(item, money(life.price(h)))
        if any(regional):
            item["location_cost"] = {rid: dict(cost) for rid, cost in item["location_cost"].items()}
            for index, (rid, *_rest) in enumerate(life.regional):
                if regional[index]:
                    _set_prices(item["location_cost"][rid], money(life.regional_price(index, h)))
        if drifted:
            item[DRIFT_FIELD] = 25 if item.get("type") in ("vcg", "NVMe", "SSD") else 10
        return item

    # -- history -----------------------------------------------------------------------
    def events_between(self, t0: datetime, t1: datetime) -> list[dict[str, Any]]:
        """What changed after ``t0`` up to and including ``t1``, in time order.

        Each event is ``{"at", "kind", "region_id", "plan_id", "detail"}`` with kind one of
        region_launched, plan_added, plan_retired, price_changed, regional_price_changed,
        field_added, sold_out, restocked; so
        ``catalog_at(t0)`` plus these events gives ``catalog_at(t1)``.
        """
        h0, h1 = self.hour_of(t0), self.hour_of(t1)
        events: list[tuple[int, str, str | None, str | None, dict[str, Any]]] = []
        for rid, when in self.launch_h.items():
            if h0 < when <= h1:
                events.append((when, "region_launched", rid, None, {}))
        if h0 < self.drift_h <= h1:
            events.append((self.drift_h, "field_added", None, None, {"field": DRIFT_FIELD}))
        lives = self._plans + self._metal
        for life in lives:
            events += self._life_events(life, h0, h1)
        for pair in self._pairs:
            life, rid = lives[pair.index], pair.region_id
            for h in pair.flips_between(h0, h1):
                live = life.active(h - 1) and life.active(h) and self.launch_h[rid] <= h - 1
                if live and pair.out(h - 1) != pair.out(h):
                    events.append((h, "sold_out" if pair.out(h) else "restocked", rid, life.item["id"], {}))
        events.sort(key=lambda e: (e[0], e[1], e[2] or "", e[3] or ""))
        return [{"at": self.start_at + h * HOUR, "kind": kind, "region_id": rid,
                 "plan_id": pid, "detail": detail} for h, kind, rid, pid, detail in events]

    def _life_events(self, life: _PlanLife, h0: int, h1: int) -> list[tuple[Any, ...]]:
        pid = life.item["id"]
        out: list[tuple[Any, ...]] = []
        if h0 < life.added_h <= h1:
            out.append((life.added_h, "plan_added", None, pid,
                        {"monthly_cost": money(life.price(life.added_h))}))
        if h0 < life.retired_h <= h1:
            out.append((life.retired_h, "plan_retired", None, pid, {}))
        first = life.price_phase_h
        if first <= h0:
            first += ((h0 - first) // life.price_period_h + 1) * life.price_period_h
        for h in range(first, h1 + 1, life.price_period_h):
            old, new = life.price(h - 1), life.price(h)
            if old != new and life.active(h - 1) and life.active(h):
                out.append((h, "price_changed", None, pid,
                            {"old_monthly_cost": money(old), "new_monthly_cost": money(new)}))
        for index, (rid, _, period, phase) in enumerate(life.regional):
            first = phase if phase > h0 else phase + ((h0 - phase) // period + 1) * period
            for h in range(first, h1 + 1, period):
                old, new = life.regional_price(index, h - 1), life.regional_price(index, h)
                if old != new and life.active(h - 1) and life.active(h):
                    out.append((h, "regional_price_changed", rid, pid,
                                {"old_monthly_cost": money(old), "new_monthly_cost": money(new)}))
        return out


def _set_prices(prices: Item, monthly: int | float) -> None:
    """A new on-demand price; the preemptible pair follows when it equalled the on-demand one."""
    follows = prices.get("monthly_cost_preemptible") == prices.get("monthly_cost")
    prices["monthly_cost"] = monthly
    if "hourly_cost" in prices:
        prices["hourly_cost"] = hourly(monthly)
    if follows and "monthly_cost_preemptible" in prices:
        prices["monthly_cost_preemptible"] = monthly
        prices["hourly_cost_preemptible"] = prices.get("hourly_cost", hourly(monthly))
