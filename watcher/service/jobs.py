"""Digest closing as the service runs it: due periods decided from the database, each period closed under
a lease, so several processes close it once (delivery claims are in watcher.digests.send_due).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from watcher.config import DigestConfig, Watchlist
from watcher.config.schedule import Schedule, parse_schedule, previous_before
from watcher.digests import close_period
from watcher.models import Delivery
from watcher.store import Store

log = logging.getLogger("watcher.service")
CLOSE_LEASE = timedelta(minutes=2)


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
