"""Stale sources: the newest item is much older than the source's usual gap between items."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

FACTOR = 10
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


def _short(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"
