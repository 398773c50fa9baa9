"""Delivering queued digest messages: each pending delivery claimed, sent, and marked; a failure retried later.

A delivery row holds the rendered message and is created when its period is closed, before any sending
(watcher.periods): a crash or a failed SMTP conversation leaves it pending, retried with backoff; a sent one
is never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watcher.errors import MailError
from watcher.mail import Mailer
from watcher.models import Delivery
from watcher.store import Store

log = logging.getLogger("watcher.digest")

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
