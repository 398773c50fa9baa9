"""Scheduling state shared by service processes: due sources claimed under a lease, service facts, retention.

On PostgreSQL several ``watcher run`` processes share one database: due rows are claimed with
``FOR UPDATE SKIP LOCKED`` and a lease that expires when the holder dies, so each due source is polled by
exactly one of them. On SQLite the write lock taken at BEGIN serialises claims (and the service allows
one process per file anyway).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, not_, or_, select, update

from watcher.store.base import StoreBase, batched
from watcher.store.db import translate_errors
from watcher.store.schema import deliveries, items, matches, service_state
from watcher.store.schema import sources as table

INSTANCE_PREFIX = "instance:"  # service_state key of each running service's heartbeat and watchlist in force
RELOAD_KEY = "reload"  # service_state key of the last `watcher reload` request


@dataclass(frozen=True, slots=True)
class SourceSchedule:
    """What ``watcher sources`` and ``status`` show beyond SourceHealth: due time, lease, disabled, moved."""

    name: str
    next_due_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    disabled_reason: str | None
    moved_to: str | None


class SchedulingMixin(StoreBase):
    """Methods on ``sources`` scheduling columns and the ``service_state`` table."""

    def claim_due(self, owner: str, *, now: datetime, names: Collection[str], limit: int,
                  lease: timedelta) -> list[str]:
        """Lease up to ``limit`` of ``names`` that are due (never polled, or due by now) to ``owner``; their names,
        the longest due first."""
        if limit <= 0 or not names:
            return []
        due = and_(table.c.active, table.c.disabled_reason.is_(None),
                   or_(table.c.next_due_at.is_(None), table.c.next_due_at <= now),
                   or_(table.c.lease_until.is_(None), table.c.lease_until < now))
        claimed: list[str] = []
        with self._read() as conn:  # most ticks find nothing due: a read, not a write lock, tells
            if conn.execute(select(table.c.id).where(due).limit(1)).first() is None:
                return claimed
        with self._write() as conn:
            for chunk in batched(sorted(names)):
                if len(claimed) >= limit:
                    break
                query = (select(table.c.id, table.c.name)
                         .where(due, table.c.name.in_(chunk))
                         .order_by(table.c.next_due_at.is_not(None), table.c.next_due_at, table.c.id)
                         .limit(limit - len(claimed)))
                if self._engine.dialect.name == "postgresql":
                    # Rows another process is claiming are skipped, not waited for: no two processes get one.
                    query = query.with_for_update(skip_locked=True, of=table)
                rows = conn.execute(query).all()
                if not rows:
                    continue
                conn.execute(update(table).where(table.c.id.in_([r.id for r in rows]))
                             .values(lease_owner=owner, lease_until=now + lease))
                claimed += [r.name for r in rows]
        return claimed

    def make_due(self, source: str) -> None:
        """Make ``source`` due at once (its interval changed); a lease another process holds is left alone."""
        with self._write() as conn:
            conn.execute(update(table).where(table.c.name == source, table.c.lease_owner.is_(None))
                         .values(next_due_at=None))

    def renew_leases(self, owner: str, names: Collection[str], *, until: datetime) -> None:
        """Extend ``owner``'s leases on ``names`` (sources it is still polling) to ``until``."""
        with self._write() as conn:
            for chunk in batched(sorted(names)):
                conn.execute(update(table).where(table.c.name.in_(chunk), table.c.lease_owner == owner)
                             .values(lease_until=until))

    def release_leases(self, owner: str) -> int:
        """Give back every lease of ``owner`` (a stopping service): its sources stay due as they were."""
        with self._write() as conn:
            result = conn.execute(update(table).where(table.c.lease_owner == owner)
                                  .values(lease_owner=None, lease_until=None))
        return int(result.rowcount)

    def enable_source(self, source: str) -> bool:
        """Clear a source's disabled reason (e.g. after a 410) so it is polled again at once."""
        with self._write() as conn:
            result = conn.execute(update(table).where(table.c.name == source).values(
                disabled_reason=None, next_due_at=None, consecutive_failures=0))
        return bool(result.rowcount)

    def source_schedules(self) -> dict[str, SourceSchedule]:
        """Every stored source's scheduling columns, by name."""
        columns = [table.c.name, table.c.next_due_at, table.c.lease_owner, table.c.lease_until,
                   table.c.disabled_reason, table.c.moved_to]
        with self._read() as conn:
            return {r.name: SourceSchedule(*r) for r in conn.execute(select(*columns))}

    def put_state(self, key: str, value: dict[str, Any], *, now: datetime) -> None:
        """Store ``value`` (JSON-able) under ``key``."""
        payload = json.dumps(value, default=str, ensure_ascii=False)
        statement = self._insert(service_state).values(key=key, value=payload, updated_at=now)
        with self._write() as conn:
            conn.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                         set_={"value": payload, "updated_at": now}))

    def get_states(self, prefix: str) -> dict[str, tuple[dict[str, Any], datetime]]:
        """Every (value, updated_at) whose key starts with ``prefix``, by key."""
        with self._read() as conn:
            rows = conn.execute(select(service_state.c.key, service_state.c.value, service_state.c.updated_at)
                                .where(service_state.c.key.startswith(prefix, autoescape=True))).all()
        return {r.key: (json.loads(r.value) if r.value else {}, r.updated_at) for r in rows}

    def delete_state(self, key: str) -> None:
        """Forget ``key``."""
        with self._write() as conn:
            conn.execute(delete(service_state).where(service_state.c.key == key))

    def try_lease(self, key: str, owner: str, *, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease ``key`` for ``owner`` unless another holder's lease is still running."""
        statement = self._insert(service_state).values(key=key, owner=owner, lease_until=until, updated_at=now)
        free = or_(service_state.c.lease_until.is_(None), service_state.c.lease_until < now,
                   service_state.c.owner == owner)
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"owner": owner, "lease_until": until, "updated_at": now}, where=free)
        with self._write() as conn:
            # ON CONFLICT ... WHERE updates nothing when the lease is held: rowcount says who won.
            return bool(conn.execute(statement).rowcount)

    def release_lease(self, key: str, owner: str) -> None:
        """Give the lease ``key`` back if ``owner`` holds it."""
        with self._write() as conn:
            conn.execute(update(service_state).where(service_state.c.key == key, service_state.c.owner == owner)
                         .values(owner=None, lease_until=None))

    def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are pending, sent and failed."""
        with self._read() as conn:
            rows = conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status)).all()
        return {"pending": 0, "sent": 0, "failed": 0} | {status: int(n) for status, n in rows}

    def prune_items(self, *, before: datetime) -> int:
        """Delete items first seen before ``before`` that have no match; matches and digests stay."""
        unmatched = not_(exists().where(matches.c.item_id == items.c.id))
        with self._write() as conn:
            result = conn.execute(delete(items).where(items.c.first_seen_at < before, unmatched))
        return int(result.rowcount)

    def vacuum(self) -> None:
        """Give free pages back to the file system (SQLite VACUUM; PostgreSQL VACUUM ANALYZE)."""
        with translate_errors():
            if self.backend_name == "sqlite":
                # VACUUM cannot run inside a transaction: the raw connection is in autocommit (see make_engine).
                raw = self._engine.raw_connection()
                try:
                    raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
                finally:
                    raw.close()
                return
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")

    @property
    def backend_name(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name
