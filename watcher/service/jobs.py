"""Digest closing and mail delivery as the service runs them: due periods decided from the database, each
period closed under a lease and each delivery claimed before it is sent, so several processes send once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from watcher.config import DigestConfig, Watchlist
from watcher.digests import (
    MAX_ATTEMPTS,
    SendReport,
    backoff,
    close_period,
    delivery_name,
)
from watcher.errors import MailError
from watcher.mail import Mailer
from watcher.models import Delivery
from watcher.service.schedule import Schedule, parse_schedule, previous_before
from watcher.store import Store

log = logging.getLogger("watcher.service")
CLOSE_LEASE = timedelta(minutes=2)
SEND_LEASE = timedelta(minutes=10)  # longer than any SMTP conversation: a dead sender's mail is retried after it


def due_period_end(schedule: Schedule, *, last_end: datetime | None, now: datetime, started_at: datetime,
                   min_interval: timedelta) -> datetime | None:
    """The end of the period to close now, or None: the latest fire time not yet closed (missed ones coalesce).

    A digest never closed starts with the first fire time after the service first started. An immediate
    digest closes at ``now`` once ``min_interval`` has passed since its last period.
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
    end = due_period_end(schedule, last_end=store.last_period_end(digest.id), now=now, started_at=started_at,
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


def send_claimed(store: Store, mailer: Mailer, *, now: datetime, sender: str,
                 on_sent: Callable[[Delivery], None] | None = None,
                 on_failed: Callable[[Delivery], None] | None = None) -> SendReport:
    """Send every due delivery this process manages to claim; failures are retried with backoff."""
    sent = retrying = given_up = 0
    for delivery in store.due_deliveries(now=now):
        if not store.claim_delivery(delivery.id, now=now, until=now + SEND_LEASE):
            continue  # another process is sending it
        try:
            mailer.send(delivery.message, sender=sender, recipients=[delivery.recipient],
                        name=delivery_name(delivery))
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
