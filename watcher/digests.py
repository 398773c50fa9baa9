"""The digest job: close a digest's period, render it once per recipient, deliver what is due.

Periods are contiguous, (previous end, now], and counted by when a match was found, so no match
falls between two digests. A delivery row holds the rendered message and is created before any
sending: a crash or a failed SMTP conversation leaves it pending, retried with backoff; a sent one
is never sent again.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watcher.config import DigestConfig, Watchlist
from watcher.config.schedule import parse_schedule, previous_before
from watcher.errors import MailError
from watcher.mail import Mailer
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
from watcher.report.keys import key_items
from watcher.report.period import PeriodIndex
from watcher.report.trends import CHART_PERIODS
from watcher.store import Store

log = logging.getLogger("watcher.digest")

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)  # the first digest covers everything stored
MAX_ATTEMPTS = 8
_BACKOFF = timedelta(minutes=1)
_BACKOFF_CAP = timedelta(hours=6)
SEND_LEASE = timedelta(minutes=10)  # longer than any SMTP conversation: a dead sender's mail is retried after it


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one delivery round did."""

    sent: int
    retrying: int
    given_up: int


def preview(store: Store, watchlist: Watchlist, digest: DigestConfig, *, now: datetime,
            since: datetime | None = None, until: datetime | None = None) -> Digest:
    """The digest of (since or the previous digest's end, until or now], recording nothing."""
    start = since or store.last_period_end(digest.id) or BEGINNING
    period = Period(start, until or now)
    queries = any(s.query is not None and (not digest.situations or s.id in digest.situations)
                  for s in watchlist.situations)
    with _collector_paused():
        index = PeriodIndex(store.mentioned_items(period, with_text=queries))  # the text only for the queries
        history = load_history(store, watchlist, digest, period, index.of_entry.keys())
        return build_digest(digest, watchlist, index, store.source_health(), period, now=now, history=history,
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
        store.close_period(digest.id, built.period, {}, now=now)
        return []
    if digest.skip_empty and built.empty:
        log.info("digest %s: nothing new, skipped (skip_empty)", digest.id)
        return []
    text, html = render_text(built), render_html(built)
    messages = {r: compose_message(built, sender=sender, recipient=r, text=text, html=html) for r in digest.to}
    return store.close_period(digest.id, built.period, messages, now=now)


def send_due(store: Store, mailer: Mailer, *, now: datetime, sender: str,
             on_sent: Callable[[Delivery], None] | None = None,
             on_failed: Callable[[Delivery], None] | None = None) -> SendReport:
    """Send every due delivery this process manages to claim; a failure is retried later with backoff.

    Claiming first (the store moves the delivery's next attempt past the SMTP conversation) means two
    processes, or a service and a manual `digest --send`, never send the same delivery.
    """
    sent = retrying = given_up = 0
    for delivery in store.due_deliveries(now=now):
        if not store.claim_delivery(delivery.id, now=now, until=now + SEND_LEASE):
            continue  # another process is sending it
        try:
            mailer.send(delivery.message, sender=sender, recipients=[delivery.recipient], name=delivery_name(delivery))
        except MailError as e:
            attempts = delivery.attempts + 1
            retry_at = None if attempts >= MAX_ATTEMPTS else now + backoff(attempts)
            store.mark_failed(delivery.id, now=now, error=str(e), next_attempt_at=retry_at)
            if on_failed is not None:
                on_failed(delivery)
            if retry_at is None:
                given_up += 1
                log.error("digest %s to %s: giving up after %d attempts: %s", delivery.digest_id,
                          delivery.recipient, attempts, e)
            else:
                retrying += 1
                log.warning("digest %s to %s: %s; retrying at %s", delivery.digest_id, delivery.recipient, e,
                            retry_at.isoformat(timespec="seconds"))
            continue
        store.mark_sent(delivery.id, now=now)
        sent += 1
        if on_sent is not None:
            on_sent(delivery)
        log.info("digest %s sent to %s", delivery.digest_id, delivery.recipient)
    return SendReport(sent, retrying, given_up)


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts``: 1, 2, 4 ... minutes, capped at 6 hours."""
    return min(_BACKOFF * (1 << max(attempts - 1, 0)), _BACKOFF_CAP)


def delivery_name(delivery: Delivery) -> str:
    """A stable, file-name-safe name for one delivery (the outbox's file name)."""
    stamp = delivery.period.end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    recipient = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in delivery.recipient)
    return f"{delivery.digest_id}-{stamp}-{recipient}"
