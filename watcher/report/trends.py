"""How attention moves: per-entry counts against earlier periods, first mentions, silences and new pairings.

Pure functions of data. The store answers the questions about the past (``History``: counts per earlier
period, when each entry and each actor pair was last seen before the period) with aggregates; the period's
own matches come in whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from watcher.models import Period

BASELINE_PERIODS = 4  # the baseline is the mean of this many earlier periods
CHART_PERIODS = 12  # bars in a chart, the digest's own period included
NEW_AFTER = timedelta(days=30)  # silent this long, then mentioned again: "new"
REGULAR = 3  # mentioned in this many of the baseline periods: "regular", so silence is news

Change = Literal["new", "up", "down", "same"]
Novelty = Literal["first-ever", "first-in-30-days"]


@dataclass(frozen=True, slots=True)
class Counts:
    """Distinct items and distinct outlets of one entry (or source) in one period."""

    items: int = 0
    outlets: int = 0


@dataclass(frozen=True, slots=True)
class History:
    """What the store knows about the time before a digest's period; the input of the trend sections."""

    periods: tuple[Period, ...] = ()  # earlier periods, oldest first, the last one ending at the digest's start
    counts: Mapping[str, tuple[Counts, ...]] = field(default_factory=dict)  # entry id -> one per period
    last_seen: Mapping[str, datetime] = field(default_factory=dict)  # entry id -> last found_at up to the start
    pairs_last_seen: Mapping[tuple[str, str], datetime] = field(default_factory=dict)  # (a, b), a < b
    # source -> new items per period, the digest's own period last (one more value than ``periods``)
    source_items: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    since: datetime | None = None  # the first match ever stored: before it there is no past to compare with


def earlier_periods(start: datetime, fire_times: Sequence[datetime], count: int = CHART_PERIODS - 1,
                    fallback: timedelta = timedelta(days=1)) -> tuple[Period, ...]:
    """``count`` periods before ``start``, oldest first, cut at the schedule's fire times (newest first).

    The first ends exactly at ``start`` so that no match is lost between it and the digest's period; a fire
    time closer to ``start`` than half a period is the one that started this digest, so it is skipped.
    Without fire times (``immediate``) periods are ``fallback`` long.
    """
    if count <= 0:
        return ()
    fires = sorted(fire_times, reverse=True)
    length = fires[0] - fires[1] if len(fires) >= 2 else fallback
    bounds = [start] + [f for f in fires if start - f >= length / 2]
    while len(bounds) < count + 1:
        bounds.append(bounds[-1] - length)
    periods = [Period(bounds[i + 1], bounds[i]) for i in range(count)]
    return tuple(reversed(periods))


def change(current: int, baseline: float) -> Change:
    """How ``current`` compares with ``baseline``: a marked change needs both a ratio and an absolute step."""
    if baseline == 0:
        return "new" if current > 0 else "same"
    if current >= baseline * 1.5 and current - baseline >= 1.5:
        return "up"
    if current <= baseline / 1.5 and baseline - current >= 1.5:
        return "down"
    return "same"


def baseline(series: Sequence[int], periods: int = BASELINE_PERIODS) -> float:
    """The mean of the last ``periods`` values of ``series`` (zeros where there is no history)."""
    if periods <= 0:
        return 0.0
    last = list(series[-periods:])
    return sum(last) / periods


def novelty(last_seen: datetime | None, start: datetime, new_after: timedelta = NEW_AFTER) -> Novelty | None:
    """'first-ever' when never seen before ``start``, 'first-in-30-days' after a long silence, else None."""
    if last_seen is None:
        return "first-ever"
    if start - last_seen > new_after:
        return "first-in-30-days"
    return None


def regular(series: Sequence[int], periods: int = BASELINE_PERIODS, needed: int = REGULAR) -> bool:
    """Mentioned in at least ``needed`` of the last ``periods`` values: its silence would be news."""
    return sum(1 for n in series[-periods:] if n > 0) >= needed


def pairs(entry_ids: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair of distinct ids, each as (smaller, larger), sorted."""
    ids = sorted(set(entry_ids))
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
