"""Digest periods: what a digest covers, closed once, each closed period rendered and queued for delivery.

    due period (due_period_end: the latest fire time not yet closed; missed ones coalesce)
      -> close (close_due: under a lease, so several processes close it once)
      -> build (watcher.report: the digest of the period, pure) -> render -> one message per recipient
      -> queued as pending deliveries (Store.record_period), sent by watcher.delivery

Periods are contiguous, (previous end, now], and counted by when a match was found, so no match
falls between two digests. :func:`preview` builds any period's digest without recording anything.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from watcher.config import DigestConfig, Watchlist
from watcher.config.schedule import Schedule, parse_schedule, previous_before
from watcher.models import Delivery, Period
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
from watcher.report.digest import covered_entries
from watcher.report.key_items import key_items
from watcher.report.period import PeriodIndex
from watcher.report.trends import CHART_PERIODS
from watcher.sources.health import assess_stored
from watcher.store import Store

log = logging.getLogger("watcher.digest")

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)  # the first digest covers everything stored
LATEST = datetime(9998, 1, 1, tzinfo=UTC)  # a period ends before it: the calendar's arithmetic needs room after it
CLOSE_LEASE = timedelta(minutes=2)


def preview(store: Store, watchlist: Watchlist, digest: DigestConfig, *, now: datetime,
            since: datetime | None = None, until: datetime | None = None) -> Digest:
    """The digest of (since or the previous digest's end, until or now], recording nothing.

    The period is kept within BEGINNING and LATEST: nothing is found outside them, and a date at the calendar's
    end (``--since 0001-01-01``) would leave no room for the trend sections' earlier periods.
    """
    start = max(since or store.last_period_end(digest.id) or BEGINNING, BEGINNING)
    period = Period(min(start, LATEST), min(max(until or now, start), LATEST))
    queries = any(s.query is not None and (not digest.situations or s.id in digest.situations)
                  for s in watchlist.situations)
    with _collector_paused():
        index = PeriodIndex(store.mentioned_items(period, with_text=queries))  # the text only for the queries
        history = load_history(store, watchlist, digest, period, index.of_entry.keys())
        return build_digest(digest, watchlist, index, assess_stored(store, watchlist, now=now), period, now=now,
                            history=history,
                            key_items=key_items(watchlist, digest, index))


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A first digest makes some 300,000 small objects; the cyclic collector would walk the growing heap over
    # and over while they are made (a quarter of the time). Reference counting frees them all the same.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_history(store: Store, watchlist: Watchlist, digest: DigestConfig, period: Period,
                 mentioned: Collection[str]) -> History:
    """What the trend sections need from before ``period``, asked of the store as aggregates.

    ``mentioned``: the ids of the entries mentioned in the period (new pairings are asked only of those).
    """
    schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
    periods = earlier_periods(period.start, previous_before(schedule, period.start, CHART_PERIODS + 1))
    covered = covered_entries(digest, watchlist)
    counts = store.entry_counts(periods, entry_ids=covered)
    actors = {e for e in mentioned if e in covered and covered[e].kind != "term"}
    return History(
        periods=periods,
        counts={e: tuple(Counts(*c) for c in per) for e, per in counts.items()},
        last_seen=store.last_mentions(period.start, entry_ids=covered),
        pairs_last_seen=store.last_pairings(period.start, entry_ids=actors),
        source_items={name: tuple(n) for name, n in store.source_item_counts([*periods, period]).items()},
        since=store.first_match_at(),
    )


def alerting(built: Digest) -> bool:
    """Whether an immediate digest has news: a key item of a situation with a query, any item of one without."""
    return any(s.key_count if s.query else s.item_count for s in built.situations)


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
    if immediate and not alerting(built):
        store.record_period(digest.id, built.period, {}, now=now)
        return []
    if digest.skip_empty and built.empty:
        log.info("digest %s: nothing new, skipped (skip_empty)", digest.id)
        return []
    recipients = list(digest.to)
    if built.empty:
        # "Nothing new" to someone whose earlier digest is still on its way adds nothing: it is not queued.
        waiting = store.pending_recipients(digest.id)
        recipients = [r for r in recipients if r not in waiting]
    text, html = render_text(built), render_html(built)
    messages = {r: compose_message(built, sender=sender, recipient=r, text=text, html=html) for r in recipients}
    return store.record_period(digest.id, built.period, messages, now=now)


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
