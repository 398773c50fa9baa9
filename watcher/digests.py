"""The digest job: close a digest's period, render it once per recipient, deliver what is due.

Periods are contiguous, (previous end, now], and counted by when a match was found, so no match
falls between two digests. A delivery row holds the rendered message and is created before any
sending: a crash or a failed SMTP conversation leaves it pending, retried with backoff; a sent one
is never sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from watcher.config import DigestConfig, Watchlist
from watcher.errors import MailError
from watcher.mail import Mailer
from watcher.models import Delivery, Period
from watcher.report import Digest, build_digest, compose_message, render_html, render_text
from watcher.store import Store

log = logging.getLogger("watcher.digest")

BEGINNING = datetime(1970, 1, 1, tzinfo=timezone.utc)  # the first digest covers everything stored
MAX_ATTEMPTS = 8
_BACKOFF = timedelta(minutes=1)
_BACKOFF_CAP = timedelta(hours=6)


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
    matches = store.matches_between(period)
    return build_digest(digest, watchlist, matches, store.source_health(), period, now=now)


def close_period(store: Store, watchlist: Watchlist, digest: DigestConfig, *, now: datetime,
                 sender: str) -> list[Delivery]:
    """Close the period ending ``now`` and queue one rendered message per recipient (idempotent per period)."""
    built = preview(store, watchlist, digest, now=now)
    if digest.skip_empty and built.empty:
        log.info("digest %s: nothing new, skipped (skip_empty)", digest.id)
        return []
    text, html = render_text(built), render_html(built)
    messages = {r: compose_message(built, sender=sender, recipient=r, text=text, html=html) for r in digest.to}
    return store.close_period(digest.id, built.period, messages, now=now)


def send_due(store: Store, mailer: Mailer, *, now: datetime, sender: str) -> SendReport:
    """Try every pending delivery that is due; a failure is retried later with exponential backoff."""
    sent = retrying = given_up = 0
    for delivery in store.due_deliveries(now=now):
        try:
            mailer.send(delivery.message, sender=sender, recipients=[delivery.recipient], name=delivery_name(delivery))
        except MailError as e:
            attempts = delivery.attempts + 1
            retry_at = None if attempts >= MAX_ATTEMPTS else now + backoff(attempts)
            store.mark_failed(delivery.id, now=now, error=str(e), next_attempt_at=retry_at)
            if retry_at is None:
                given_up += 1
                log.error("digest %s to %s: giving up after %d attempts: %s", delivery.digest_id,
                          delivery.recipient, attempts, e)
            else:
                retrying += 1
                log.warning("digest %s to %s: %s; retrying at %s", delivery.digest_id, delivery.recipient, e,
                            retry_at.isoformat(timespec="seconds"))
        else:
            store.mark_sent(delivery.id, now=now)
            sent += 1
            log.info("digest %s sent to %s", delivery.digest_id, delivery.recipient)
    return SendReport(sent, retrying, given_up)


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts``: 1, 2, 4 ... minutes, capped at 6 hours."""
    return min(_BACKOFF * 2 ** max(attempts - 1, 0), _BACKOFF_CAP)


def delivery_name(delivery: Delivery) -> str:
    """A stable, file-name-safe name for one delivery (the outbox's file name)."""
    stamp = delivery.period.end.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    recipient = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in delivery.recipient)
    return f"{delivery.digest_id}-{stamp}-{recipient}"
