"""A source's health in one word, by one rule everywhere (`watcher sources`, `status`, digests, metrics).

    inactive  no longer in the watchlist (kept for its history)
    disabled  the server said the feed is gone (410) until an operator acts
    failing   the last poll failed
    never     not polled yet
    overdue   no successful poll for ``OVERDUE_INTERVALS`` of its intervals (is the service running?)
    stale     polled fine, but its newest item is far older than its usual gap between items: a feed that
              stopped updating looks healthy otherwise
    ok

A source is the first of these that holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING, Literal

from watcher.models import SourceHealth

if TYPE_CHECKING:
    from watcher.config import Watchlist
    from watcher.store import Store

SourceState = Literal["inactive", "disabled", "failing", "never", "overdue", "stale", "ok"]
STATES: tuple[SourceState, ...] = ("ok", "stale", "overdue", "failing", "disabled", "never", "inactive")
OVERDUE_INTERVALS = 3

FACTOR = 3  # a daily source is stale after 3 silent days, a weekly one after 3 weeks
FLOOR = timedelta(days=3)
MIN_ITEMS = 3  # two gaps: fewer say nothing about a source's rhythm


@dataclass(frozen=True, slots=True)
class Staleness:
    """Why a source is stale: its newest item's age and its usual gap."""

    newest_age: timedelta
    usual_gap: timedelta
    limit: timedelta

    def describe(self) -> str:
        """``stale: newest item 12d old, usually one every 6h``."""
        return f"stale: newest item {_short(self.newest_age)} old, usually one every {_short(self.usual_gap)}"


def staleness(times: Sequence[datetime], *, now: datetime, factor: int = FACTOR,
              floor: timedelta = FLOOR) -> Staleness | None:
    """A Staleness when the newest of ``times`` is older than ``factor`` usual gaps (median) and ``floor``; else None."""
    ordered = sorted(set(times))
    if len(ordered) < MIN_ITEMS:
        return None
    usual = timedelta(seconds=median((later - earlier).total_seconds() for earlier, later in itertools.pairwise(ordered)))
    limit = max(usual * factor, floor)
    age = now - ordered[-1]
    return Staleness(newest_age=age, usual_gap=usual, limit=limit) if age > limit else None


def source_state(health: SourceHealth, *, now: datetime, interval: timedelta | None,
                 stale: Staleness | None) -> SourceState:
    """The source's state (see the module's docstring); ``interval``: its polling interval (None: unknown, never
    overdue), ``stale``: what :func:`staleness` says of its newest items."""
    if not health.active:
        return "inactive"
    if health.disabled:
        return "disabled"
    if health.failing:
        return "failing"
    if health.last_success_at is None:
        return "never"
    if interval is not None and now - health.last_success_at > OVERDUE_INTERVALS * interval:
        return "overdue"
    return "stale" if stale is not None else "ok"


def _short(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


@dataclass(frozen=True, slots=True)
class Assessment:
    """A source's health as stored, its state, and why it is stale when it is."""

    health: SourceHealth
    state: SourceState
    staleness: Staleness | None = None

    @property
    def name(self) -> str:
        return self.health.name


def assess(sources: Sequence[SourceHealth], *, now: datetime, intervals: Mapping[str, timedelta],
           item_times: Mapping[str, Sequence[datetime]]) -> list[Assessment]:
    """Each source assessed, in order; ``intervals`` and ``item_times`` (its newest items' publication times,
    ``Store.item_times``) by source name; a source without an interval is never overdue."""
    found: list[Assessment] = []
    for health in sources:
        stale = staleness(item_times.get(health.name, ()), now=now) if health.active else None
        state = source_state(health, now=now, interval=intervals.get(health.name), stale=stale)
        found.append(Assessment(health, state, stale))
    return found


def assess_stored(store: Store, watchlist: Watchlist | None, *, now: datetime) -> list[Assessment]:
    """Every stored source assessed, by name; intervals from ``watchlist`` (None: a broken one, never overdue)."""
    health = store.source_health()
    intervals = {s.name: watchlist.interval(s) for s in watchlist.sources} if watchlist is not None else {}
    times = store.item_times([h.name for h in health if h.active])
    return assess(health, now=now, intervals=intervals, item_times=times)
