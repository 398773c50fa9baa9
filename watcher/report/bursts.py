"""Bursts: entries whose items in the current window stand far above their own baseline.

The rule is a Poisson tail with two guards. An entry's items per period are counts of rare, roughly independent
events, so against its baseline rate ``b`` (the mean of its earlier periods) the window's count ``k`` is a burst
when ``P(X >= k | max(b, FLOOR)) < ALPHA``, ``k >= MIN_COUNT`` and ``k >= RATIO * b``. Why this and not the others:

- a z-score needs a spread, and the entries that matter most here have none: quiet for weeks, every period 0,
  the deviation is 0 and every first item is infinitely far out;
- Kleinberg's two-state automaton reads the gaps between single items and is tuned by a cost of changing state;
  it answers "when did the burst start" well, but the digest's question is whether this period's count is
  extraordinary for this entry, and the store answers that with one aggregate (items per earlier period);
- the Poisson tail needs only that aggregate, and its one number (ALPHA) says how surprised to be. The floor
  keeps a silent entry's rate from being zero (one item would be a burst); news is overdispersed (a busy
  entry's count swings more than Poisson allows), so a burst must also be RATIO times its baseline: an entry
  that is always frequent is not a burst when it is a little more frequent, a quiet one in a dozen items is.

A baseline needs history: only periods after the store's first match count, and at least MIN_PERIODS of them.
For an ``immediate`` digest (an alert every few minutes) the window is the last earlier period (a day) plus the
digest's own, and a burst is reported only when it is new: the window without this digest's items was none.

Pure: the period's items (``PeriodIndex``) and the ``History`` the store computed come in, frozen values go out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.config.schema import EntryConfig, SituationConfig
from watcher.models import Period
from watcher.report.parts import clean_text
from watcher.report.period import PeriodIndex
from watcher.report.situations import ItemRef, item_ref, language_of
from watcher.report.trends import History

ALPHA = 0.001  # how improbable the window's count must be at the baseline rate
FLOOR = 0.5  # the lowest baseline rate: an entry silent for weeks still "might" have half an item a period
MIN_COUNT = 8  # fewer items are never a burst, however quiet the entry was (attention marks them ▲)
RATIO = 3.0  # and the count must be this many times the baseline
MIN_PERIODS = 3  # earlier periods with history needed for a baseline
MAX_BURSTS = 5  # per situation, the most surprising first
MAX_COMPANIONS = 5


@dataclass(frozen=True, slots=True)
class Companion:
    """An entry seen in the items of a burst, and in how many of them."""

    entry_id: str
    name: str
    items: int


@dataclass(frozen=True, slots=True)
class Burst:
    """An entry far above its own baseline in the window, with the evidence: its first item there, the outlets and
    languages carrying it, and the entries seen with it."""

    entry_id: str
    name: str
    count: int  # items in the window
    baseline: float  # mean items per earlier period (times the window's length in periods, when it is longer)
    periods: int  # earlier periods the baseline is the mean of
    p_value: float  # P(X >= count) at the baseline rate (floored)
    first: ItemRef  # the first item of the burst the digest holds
    outlets: tuple[str, ...]  # of the burst's items the digest holds, in order of their first item
    languages: tuple[str, ...]
    seen_with: tuple[Companion, ...]  # most items first


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X Poisson with mean ``rate``."""
    if k <= 0:
        return 1.0
    term = math.exp(-rate)
    below = 0.0
    for i in range(k):
        below += term
        term *= rate / (i + 1)
    return max(0.0, 1.0 - below)


def bursting(count: int, baseline: float) -> tuple[bool, float]:
    """Whether ``count`` items in a window is a burst against a ``baseline`` rate, and the tail probability."""
    if count < MIN_COUNT or count < RATIO * baseline:
        return False, 1.0
    p = poisson_tail(count, max(baseline, FLOOR))
    return p < ALPHA, p


def find_bursts(entries: Mapping[str, EntryConfig], covered: Mapping[str, EntryConfig], index: PeriodIndex,
                history: History, period: Period, *, trailing: bool = False) -> tuple[Burst, ...]:
    """The bursts among ``entries`` (a situation's) in ``period``, counted on the items of ``index`` published in it,
    against ``history``; ``covered`` names the entries seen with them. ``trailing``: the window of an immediate
    digest (see the module)."""
    earlier = [n for n, p in enumerate(history.periods) if history.since is not None and p.end > history.since]
    if trailing:
        earlier = earlier[:-1]  # the last earlier period is part of the window
    if len(earlier) < MIN_PERIODS:
        return ()
    # A baseline is a mean per earlier period; a window of another length (a preview of a week, of a daily digest)
    # is held against as many periods' worth.
    length = sum((history.periods[n].end - history.periods[n].start).total_seconds() for n in earlier) / len(earlier)
    scale = (period.end - period.start).total_seconds() / length if not trailing and length > 0 else 1.0
    out: list[Burst] = []
    for entry_id, entry in entries.items():
        mentioned = index.of_entry.get(entry_id, [])
        # The window's items the digest holds: published in its period, or (an alert's) since the day before.
        shown = index.published_after(mentioned, history.periods[-1].start if trailing else period.start)
        if not shown:
            continue
        series = [c.items for c in history.counts.get(entry_id, ())] or [0] * len(history.periods)
        base = sum(series[n] for n in earlier) / len(earlier) * scale
        count = len(shown)
        if trailing:
            # The last earlier period's count (by the digest's end) holds the items found now but published in it;
            # without every item found now, the window is what the last alert knew: a burst then is no news now.
            count = series[-1] + len(index.published_after(mentioned, period.start))
            if bursting(count - len(shown), base)[0]:
                continue
        found, p = bursting(count, base)
        if found:
            out.append(_burst(entry_id, entry, count, base, len(earlier), p, shown, index, covered))
    out.sort(key=lambda b: (b.p_value, -b.count, b.name.casefold()))
    return tuple(out[:MAX_BURSTS])


def situation_entries(situation: SituationConfig, covered: Mapping[str, EntryConfig]) -> dict[str, EntryConfig]:
    """The situation's entries that the digest covers."""
    return {i: covered[i] for i in (*situation.actors, *situation.terms) if i in covered and i != situation.id}


def _burst(entry_id: str, entry: EntryConfig, count: int, base: float, periods: int, p: float, items: Sequence[int],
           index: PeriodIndex, covered: Mapping[str, EntryConfig]) -> Burst:
    first = index.facts(items[0])
    outlets: dict[str, str] = {}
    for item_id in items:
        facts = index.facts(item_id)
        outlets.setdefault(facts.outlet.casefold(), facts.outlet)
    together = Counter(e for i in items for e in index.entries[i] if e != entry_id and e in covered)
    companions = tuple(Companion(entry_id=e, name=clean_text(covered[e].name), items=n)
                       for e, n in sorted(together.items(), key=lambda en: (-en[1], covered[en[0]].name.casefold()))
                       [:MAX_COMPANIONS])
    return Burst(
        entry_id=entry_id, name=clean_text(entry.name), count=count, baseline=round(base, 2), periods=periods,
        p_value=float(f"{p:.3g}"),
        first=item_ref(first),
        outlets=tuple(outlets.values()), languages=tuple(sorted({language_of(index, i) for i in items})),
        seen_with=companions)
