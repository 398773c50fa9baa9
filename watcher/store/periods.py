"""Digest periods and deliveries: each period closed once, each message sent once per recipient."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.engine import Connection, Row

from watcher.errors import StoreError
from watcher.models import ChannelState, Delivery, Period
from watcher.store.base import StoreBase
from watcher.store.schema import deliveries as deliveries_t
from watcher.store.schema import digest_periods, service_state

WATCHED_PREFIX = "digest-watched-since:"  # service_state key of when a digest was first watched
_DELIVERY = (select(deliveries_t, digest_periods.c.digest_id, digest_periods.c.period_start,
                    digest_periods.c.period_end)
             .select_from(deliveries_t.join(digest_periods)))


class PeriodsMixin(StoreBase):
    """Methods on the ``digest_periods`` and ``deliveries`` tables."""

    def last_period_end(self, digest_id: str) -> datetime | None:
        """The end of the last period closed for ``digest_id``, or None if none was."""
        with self._read() as conn:
            end: datetime | None = conn.execute(select(func.max(digest_periods.c.period_end))
                                                .where(digest_periods.c.digest_id == digest_id)).scalar()
        return end

    def watched_since(self, digest_id: str, *, now: datetime) -> datetime:
        """When a service first watched ``digest_id``: ``now`` the first time it is asked, the same time ever after."""
        key = f"{WATCHED_PREFIX}{digest_id}"
        with self._write() as conn:
            conn.execute(self._insert(service_state).values(key=key, updated_at=now)
                         .on_conflict_do_nothing(index_elements=["key"]))
            since: datetime = conn.execute(select(service_state.c.updated_at)
                                           .where(service_state.c.key == key)).scalar_one()
        return since

    def record_period(self, digest_id: str, period: Period, messages: Mapping[str, bytes], *,
                     now: datetime, channels: Mapping[str, bytes] | None = None) -> list[Delivery]:
        """Record the period and one pending delivery per recipient; a period closed before returns its deliveries.

        ``messages``: by mail address; ``channels``: by channel URL as written (its placeholders unexpanded).
        """
        with self._write() as conn:
            # ON CONFLICT makes a racing closer wait for the winner and then insert nothing (PostgreSQL);
            # on SQLite the write lock taken at BEGIN already serialises the two.
            inserted = conn.execute(
                self._insert(digest_periods)
                .on_conflict_do_nothing(index_elements=["digest_id", "period_end"])
                .returning(digest_periods.c.id),
                {"digest_id": digest_id, "period_start": period.start, "period_end": period.end, "created_at": now},
            ).scalar()
            if inserted is not None:
                # A new period is the moment to try again what an earlier one holds back (see due_deliveries).
                conn.execute(update(deliveries_t).where(
                    deliveries_t.c.status == "pending", deliveries_t.c.next_attempt_at > now,
                    deliveries_t.c.period_id.in_(select(digest_periods.c.id).where(
                        digest_periods.c.digest_id == digest_id, digest_periods.c.period_end < period.end)))
                    .values(next_attempt_at=now))
            rows = [{"period_id": inserted, "recipient": recipient, "kind": kind, "status": "pending", "attempts": 0,
                     "message": message}
                    for kind, by_recipient in (("mail", messages), ("channel", channels or {}))
                    for recipient, message in by_recipient.items()]
            if inserted is not None and rows:
                conn.execute(deliveries_t.insert(), rows)
            period_id = inserted if inserted is not None else conn.execute(
                select(digest_periods.c.id).where(digest_periods.c.digest_id == digest_id,
                                                  digest_periods.c.period_end == period.end)).scalar_one()
            return _fetch(conn, _DELIVERY.where(deliveries_t.c.period_id == period_id))

    def due_deliveries(self, *, now: datetime, digest_ids: Collection[str] | None = None, retry_now: bool = False,
                       limit: int = 100) -> list[Delivery]:
        """Pending deliveries to send now, oldest period first: each the oldest pending one of its digest and recipient.

        A later period's message waits while an earlier one to the same recipient is pending, so digests arrive
        in order. ``retry_now``: deliveries waiting for their backoff are due too (a manual send). Deliveries
        another process has claimed are never due.
        """
        earlier = deliveries_t.alias("earlier")
        earlier_period = digest_periods.alias("earlier_period")
        waiting_behind = (select(earlier.c.id).join(earlier_period, earlier.c.period_id == earlier_period.c.id)
                          .where(earlier.c.recipient == deliveries_t.c.recipient, earlier.c.status == "pending",
                                 earlier_period.c.digest_id == digest_periods.c.digest_id,
                                 earlier_period.c.period_end < digest_periods.c.period_end))
        query = _DELIVERY.where(deliveries_t.c.status == "pending", _unclaimed(now), ~waiting_behind.exists())
        if not retry_now:
            query = query.where(_due(now))
        if digest_ids is not None:
            query = query.where(digest_periods.c.digest_id.in_(list(digest_ids)))
        with self._read() as conn:
            return [_delivery(row) for row in conn.execute(
                query.order_by(digest_periods.c.period_end, deliveries_t.c.id).limit(limit))]

    def claim_delivery(self, delivery_id: int, *, owner: str, now: datetime, until: datetime,
                       retry_now: bool = False) -> bool:
        """Claim a pending delivery for ``owner`` until ``until``; only one process wins, and only it sends.

        ``retry_now``: claim it even while it waits for its backoff (never while another process holds it).
        """
        conditions = [deliveries_t.c.id == delivery_id, deliveries_t.c.status == "pending", _unclaimed(now)]
        if not retry_now:
            conditions.append(_due(now))
        with self._write() as conn:
            result = conn.execute(update(deliveries_t).where(*conditions)
                                  .values(claimed_by=owner, claimed_until=until))
        return bool(result.rowcount)

    def pending_recipients(self, digest_id: str) -> set[str]:
        """The recipients that ``digest_id`` has a message pending for."""
        with self._read() as conn:
            return set(conn.execute(select(deliveries_t.c.recipient).join(digest_periods)
                                    .where(digest_periods.c.digest_id == digest_id,
                                           deliveries_t.c.status == "pending")).scalars())

    def reopen_failed(self, *, digest_ids: Collection[str] | None = None) -> int:
        """Make deliveries that were given up pending again, due at once with a fresh retry schedule; how many."""
        query = update(deliveries_t).where(deliveries_t.c.status == "failed")
        if digest_ids is not None:
            query = query.where(deliveries_t.c.period_id.in_(
                select(digest_periods.c.id).where(digest_periods.c.digest_id.in_(list(digest_ids)))))
        with self._write() as conn:
            result = conn.execute(query.values(status="pending", attempts=0, next_attempt_at=None,
                                               claimed_by=None, claimed_until=None))
        return int(result.rowcount)

    def mark_sent(self, delivery_id: int, *, now: datetime) -> None:
        """Record that the delivery's message was accepted by the mail server."""
        self._mark(delivery_id, {"status": "sent", "sent_at": now, "next_attempt_at": None, "last_error": None})

    def mark_failed(self, delivery_id: int, *, now: datetime, error: str, next_attempt_at: datetime | None) -> None:
        """Record a failed attempt: retried at ``next_attempt_at``, or given up ('failed') when it is None."""
        status = "pending" if next_attempt_at is not None else "failed"
        self._mark(delivery_id, {"status": status, "last_error": error, "next_attempt_at": next_attempt_at})

    def _mark(self, delivery_id: int, values: dict[str, Any]) -> None:
        with self._write() as conn:
            # Only a pending delivery changes: a message already sent is never reopened by a late retry.
            result = conn.execute(update(deliveries_t)
                                  .where(deliveries_t.c.id == delivery_id, deliveries_t.c.status == "pending")
                                  .values(attempts=deliveries_t.c.attempts + 1, claimed_by=None, claimed_until=None,
                                          **values))
            if result.rowcount == 0:
                status = conn.execute(select(deliveries_t.c.status)
                                      .where(deliveries_t.c.id == delivery_id)).scalar()
                if status is None:
                    raise StoreError(f"no delivery with id {delivery_id}")
                raise StoreError(f"delivery {delivery_id} is already {status}",
                                 hint="another process may be sending the same digest")

    def channel_deliveries(self) -> list[ChannelState]:
        """Each channel of each digest: its deliveries by status, and its last failure while one is pending or failed."""
        query = (select(digest_periods.c.digest_id, deliveries_t.c.recipient, deliveries_t.c.status,
                        func.count().label("n"), func.max(deliveries_t.c.id).label("latest"))
                 .select_from(deliveries_t.join(digest_periods)).where(deliveries_t.c.kind == "channel")
                 .group_by(digest_periods.c.digest_id, deliveries_t.c.recipient, deliveries_t.c.status))
        unsent = (_DELIVERY.where(deliveries_t.c.kind == "channel", deliveries_t.c.status != "sent")
                  .order_by(deliveries_t.c.id))
        counts: dict[tuple[str, str], dict[str, int]] = {}
        oldest_unsent: dict[tuple[str, str], Delivery] = {}
        with self._read() as conn:
            for row in conn.execute(query):
                counts.setdefault((row.digest_id, row.recipient), {})[row.status] = int(row.n)
            for row in conn.execute(unsent):
                oldest_unsent.setdefault((row.digest_id, row.recipient), _delivery(row))
        out = []
        for (digest_id, channel), by_status in sorted(counts.items()):
            held = oldest_unsent.get((digest_id, channel))
            out.append(ChannelState(digest_id=digest_id, channel=channel, pending=by_status.get("pending", 0),
                                    sent=by_status.get("sent", 0), failed=by_status.get("failed", 0),
                                    attempts=held.attempts if held else 0,
                                    last_error=held.last_error if held else None,
                                    next_attempt_at=held.next_attempt_at if held else None))
        return out

    def deliveries(self, *, digest_id: str | None = None) -> list[Delivery]:
        """Every delivery (of ``digest_id`` when given), oldest first."""
        query = _DELIVERY if digest_id is None else _DELIVERY.where(digest_periods.c.digest_id == digest_id)
        with self._read() as conn:
            return _fetch(conn, query)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(deliveries_t.c.next_attempt_at.is_(None), deliveries_t.c.next_attempt_at <= now)


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(deliveries_t.c.claimed_until.is_(None), deliveries_t.c.claimed_until < now)


def _fetch(conn: Connection, query: Select[Any]) -> list[Delivery]:
    return [_delivery(row) for row in conn.execute(query.order_by(deliveries_t.c.id))]


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(id=row.id, digest_id=row.digest_id, period=Period(row.period_start, row.period_end),
                    recipient=row.recipient, status=row.status, attempts=row.attempts, message=bytes(row.message),
                    next_attempt_at=row.next_attempt_at, last_error=row.last_error, sent_at=row.sent_at, kind=row.kind)
