"""Digest periods: what a digest covers, closed once, each closed period rendered and queued for delivery.

    due period (due_period_end: the latest fire time not yet closed; missed ones coalesce)
      -> close (close_due: under a lease, so several processes close it once)
      -> build (watcher.report: the digest of the period, pure) -> render -> one message per recipient
         (a mail per address of ``to:``, the digest's short form per channel of ``notify:``)
      -> queued as pending deliveries (Store.record_period), sent by watcher.delivery

Periods are contiguous, (previous end, now], and report the items whose matches were found (or, for situation
queries, that were first seen) in them, so no match falls between two digests and each item is reported once.
History, charts and baselines count items by publication date, over everything stored by the period's end: the
first digest of a store reports one schedule period of what it holds (by publication date) and counts the rest
of the backlog as history, so it shows trends, new and quiet entries from day one. :func:`preview` builds any
period's digest without recording anything.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from watcher.config import DigestConfig, Watchlist
from watcher.config.coverage import covered_entries
from watcher.config.schedule import Schedule, parse_schedule, previous_before
from watcher.models import Delivery, MentionedItem, Period
from watcher.report import (
    Counts,
    Digest,
    History,
    build_digest,
    compose_message,
    earlier_periods,
    render_html,
    render_text,
)
from watcher.report.key_items import key_items
from watcher.report.parts import Outlets
from watcher.report.period import PeriodIndex
from watcher.report.short_form import short_form, to_bytes
from watcher.report.storylines import WINDOW as STORYLINE_WINDOW
from watcher.report.trends import CHART_PERIODS
from watcher.sources.health import assess_stored
from watcher.store import Store

log = logging.getLogger("watcher.digest")

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)  # a first digest looks at everything stored
LATEST = datetime(9998, 1, 1, tzinfo=UTC)  # a period ends before it: the calendar's arithmetic needs room after it
CLOSE_LEASE = timedelta(minutes=2)
EMERGING_SPANS = 4  # emerging names: periods before the digest's that are their history
EMERGING_REACH = timedelta(days=28)  # and never further back than this


def preview(store: Store, watchlist: Watchlist, digest: DigestConfig, *, now: datetime,
            since: datetime | None = None, until: datetime | None = None) -> Digest:
    """The digest of (since or the previous digest's end, until or now], recording nothing.

    A digest never closed before (and no ``since``) is a first digest: it reports the items published in the last
    schedule period up to its end, and the rest of what is stored is its history. The period is kept within
    BEGINNING and LATEST: nothing is found outside them, and a date at the calendar's end (``--since 0001-01-01``)
    would leave no room for the trend sections' earlier periods.
    """
    last = store.last_period_end(digest.id)
    first = since is None and last is None
    end = min(until or now, LATEST)
    start = first_period_start(watchlist, digest, end) if first else min(max(since or last or BEGINNING, BEGINNING),
                                                                          LATEST)
    period = Period(start, min(max(end, start), LATEST))
    queries = any(s.query is not None and (not digest.situations or s.id in digest.situations)
                  for s in watchlist.situations)
    outlets = outlet_names(watchlist, store.feed_titles())
    with _collector_paused():
        # Every item's text: the queries read it, and stories compare the leads of items in other languages.
        immediate = parse_schedule(digest.schedule, "UTC").immediate  # minutes long: no storylines, no names growing
        window = None if immediate else storyline_window(store, end=period.end, queries=queries, outlets=outlets)
        if window is not None and first and period.start >= period.end - STORYLINE_WINDOW:
            # A speed layer: a first digest's items are the storyline window's published in its period, the same
            # read with a later ``published_after``; taken from the window, the store is read once (a fifth of a
            # first digest over 100,000 matches). tests/test_storylines_command.py holds the two equal.
            items = [i for i in window.items.values() if i.published > period.start]
        else:
            items = store.mentioned_items(Period(BEGINNING, period.end) if first else period, with_text=True,
                                          unmatched=queries, published_after=period.start if first else None)
        index = PeriodIndex(items, outlets)
        history = load_history(store, watchlist, digest, period, index.of_entry.keys())
        earlier, spans = earlier_leads(store, period) if not immediate else (None, 0.0)
        return build_digest(digest, watchlist, index, assess_stored(store, watchlist, now=now), period, now=now,
                            history=history, key_items=key_items(watchlist, digest, index), outlets=outlets,
                            window=window, earlier=earlier, spans=spans)


def storyline_window(store: Store, *, end: datetime, queries: bool, outlets: Outlets,
                     span: timedelta = STORYLINE_WINDOW) -> PeriodIndex:
    """The items storylines are found in (watcher.report.storylines): those published in the ``span`` before ``end``
    and stored by then, with their text (leads, and the situations' queries when ``queries``)."""
    start = max(end - span, BEGINNING)
    return PeriodIndex(store.mentioned_items(Period(BEGINNING, end), with_text=True, unmatched=queries,
                                             published_after=start), outlets)


def earlier_leads(store: Store, period: Period) -> tuple[list[MentionedItem] | None, float]:
    """The items beside watched entries before ``period`` that emerging names are compared with, and how many
    period-lengths they cover: EMERGING_SPANS of them, at most EMERGING_REACH back (None for an empty period)."""
    length = period.end - period.start
    if length <= timedelta(0):
        return None, 0.0
    reach = min(length * EMERGING_SPANS, EMERGING_REACH)
    return store.leads(Period(period.start - reach, period.start), known_at=period.end), reach / length


def first_period_start(watchlist: Watchlist, digest: DigestConfig, end: datetime) -> datetime:
    """Where a first digest ending at ``end`` starts: one period of its schedule before (a day for ``immediate``)."""
    schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
    return earlier_periods(end, previous_before(schedule, end, 2), 1)[0].start


def outlet_names(watchlist: Watchlist, feed_titles: Mapping[str, str]) -> Outlets:
    """Each source's outlet as digests name it: the watchlist's ``display_name``, else the feed's own title (not for
    news searches, whose items name their publisher), else the source's name; with its ``note``."""
    names = {s.name: s.display_name or (feed_titles.get(s.name, "") if s.kind != "search" else "") or s.name
             for s in watchlist.sources}
    return Outlets(names=names, notes={s.name: s.note for s in watchlist.sources if s.note})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A speed layer: the cyclic garbage collector paused while a digest is built.

    A big digest makes some 300,000 small objects, and the collector would walk the growing heap over and over
    while they are made; reference counting frees them all the same. It buys a fifth of a whole-store preview
    (1.8 s of CPU against 2.3 s with the collector running), a tenth of a first digest (0.63 s against 0.70 s)
    and a little of a daily one (``bench/digest_speed.py --collector paused|running``, 100,000 matches, one
    session). tests/test_digests.py builds a digest both ways and finds the same digest.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_history(store: Store, watchlist: Watchlist, digest: DigestConfig, period: Period,
                 mentioned: Collection[str]) -> History:
    """What the trend sections need from before ``period``, asked of the store as aggregates: items counted by
    publication date, over what was stored by the period's end.

    ``mentioned``: the ids of the entries mentioned in the period (new pairings are asked only of those).
    """
    schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
    periods = earlier_periods(period.start, previous_before(schedule, period.start, CHART_PERIODS + 1))
    covered = covered_entries(digest, watchlist)
    known = period.end
    counts = store.entry_counts(periods, entry_ids=covered, known_at=known)
    actors = {e for e in mentioned if e in covered and covered[e].kind != "term"}
    return History(
        periods=periods,
        counts={e: tuple(Counts(*c) for c in per) for e, per in counts.items()},
        last_seen=store.last_mentions(period.start, entry_ids=covered, known_at=known),
        pairs_last_seen=store.last_pairings(period.start, entry_ids=actors, known_at=known),
        source_items={name: tuple(n) for name, n in store.source_item_counts([*periods, period], known_at=known).items()},
        since=store.first_mention_at(known_at=known),
    )


def alerting(built: Digest, alert_on: Collection[str] = ("query",)) -> bool:
    """Whether an immediate digest has news: for ``query``, a key item of a situation with a query, any item of one
    without; for ``burst``, a burst new since the last alert (its window: the day up to now, watcher.report.bursts)."""
    query = "query" in alert_on and any(s.key_count if s.query else s.item_count for s in built.situations)
    return query or ("burst" in alert_on and any(s.bursts for s in built.situations))


def close_period(store: Store, watchlist: Watchlist, digest: DigestConfig, *, now: datetime,
                 sender: str) -> list[Delivery]:
    """Close the period ending ``now`` and queue one rendered message per recipient (idempotent per period).

    An ``immediate`` digest is an alert: it is sent only when ``alerting``; otherwise its period is closed
    without a message, so the next alert is about what is new since this check. It is closed at most once
    per half ``min_interval``, so a service and a manual run together still batch their alerts.
    """
    immediate = parse_schedule(digest.schedule, "UTC").immediate
    if immediate:
        last = store.last_period_end(digest.id)
        if last is not None and now - last < digest.min_interval / 2:
            return []
    built = preview(store, watchlist, digest, now=now)
    if immediate and not alerting(built, digest.alert_on):
        store.record_period(digest.id, built.period, {}, now=now)
        return []
    if digest.skip_empty and built.empty:
        log.info("digest %s: nothing new, skipped (skip_empty)", digest.id)
        return []
    recipients, channels = list(digest.to), list(digest.notify)
    if built.empty:
        # "Nothing new" to someone whose earlier digest is still on its way adds nothing: it is not queued.
        waiting = store.pending_recipients(digest.id)
        recipients = [r for r in recipients if r not in waiting]
        channels = [c for c in channels if c not in waiting]
    messages: dict[str, bytes] = {}
    if recipients:
        text, html = render_text(built), render_html(built)
        messages = {r: compose_message(built, sender=sender, recipient=r, text=text, html=html) for r in recipients}
    short = to_bytes(short_form(built, link=digest.link)) if channels else b""
    return store.record_period(digest.id, built.period, messages, now=now, channels=dict.fromkeys(channels, short))


def due_period_end(schedule: Schedule, *, last_end: datetime | None, now: datetime, started_at: datetime,
                   min_interval: timedelta) -> datetime | None:
    """The end of the period to close now, or None: the latest fire time not yet closed (missed ones coalesce).

    A digest never closed starts with the first fire time after ``started_at``, when a service first watched
    it (kept across restarts). An immediate digest closes at ``now`` once ``min_interval`` has passed since its
    last period. A period never ends after ``now``, the moment it is closed.
    """
    if schedule.immediate:
        return now if last_end is None or now - last_end >= min_interval else None
    fired = previous_before(schedule, now + timedelta(microseconds=1), 1)
    if not fired:
        return None
    latest = fired[0]
    if last_end is None:
        return latest if latest >= started_at else None
    return latest if latest > last_end else None


def close_due(store: Store, watchlist: Watchlist, digest: DigestConfig, *, owner: str, now: datetime,
              started_at: datetime, sender: str) -> list[Delivery] | None:
    """Close ``digest``'s due period if there is one and no other process is closing it; None when nothing was due."""
    schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
    last_end = store.last_period_end(digest.id)
    if last_end is None:  # a restart just after a fire time must not skip it: the first start is kept
        started_at = store.watched_since(digest.id, now=started_at)
    end = due_period_end(schedule, last_end=last_end, now=now, started_at=started_at,
                         min_interval=digest.min_interval)
    if end is None:
        return None
    key = f"digest:{digest.id}"
    if not store.try_lease(key, owner, now=now, until=now + CLOSE_LEASE):
        return None
    try:
        if schedule.immediate:
            digest = digest.model_copy(update={"skip_empty": True})  # alerts: only when something matched
        # The period ends at the fire time, not at this process's clock: a racing process closes the same
        # (digest, end) and the store's unique row makes it one period.
        return close_period(store, watchlist, digest, now=end, sender=sender)
    finally:
        store.release_lease(key, owner)
