"""Sources: the watchlist's feeds, their conditional-GET state and their health."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from watcher.errors import StoreError
from watcher.models import FetchState, SourceHealth
from watcher.store.base import StoreBase, batched
from watcher.store.schema import sources as table

_NOT_MODIFIED = update(table).where(table.c.name == bindparam("b_name")).values(
    last_attempt_at=bindparam("b_now"), last_success_at=bindparam("b_now"), last_status=304, last_error=None,
    consecutive_failures=0)


class SourcesMixin(StoreBase):
    """Methods on the ``sources`` table."""

    def sync_sources(self, sources: Sequence[tuple[str, str]], *, now: datetime) -> None:
        """Make the stored sources those of the watchlist: add new, follow url changes, deactivate the rest."""
        wanted = dict(sources)
        with self._write() as conn:
            stored = {row.name: row for row in conn.execute(select(table.c.name, table.c.url, table.c.active))}
            new = [{"name": name, "url": url, "active": True, "created_at": now}
                   for name, url in wanted.items() if name not in stored]
            if new:
                # Services starting together on one PostgreSQL database all see the source missing: the first
                # insert wins and the others' are no error (the row they wanted is there).
                conn.execute(self._insert(table).on_conflict_do_nothing(index_elements=["name"]), new)
            for name, row in stored.items():
                if name not in wanted:
                    if row.active:  # kept, not deleted: its items and history stay
                        conn.execute(update(table).where(table.c.name == name).values(active=False))
                    continue
                values: dict[str, Any] = {}
                if not row.active:
                    values["active"] = True
                if row.url != wanted[name]:
                    # Validators of the old URL mean nothing to the new one; a stale ETag could hide new items.
                    # A new URL also gets a fresh chance: a 410 of the old one says nothing about it, and it is due now.
                    values |= {"url": wanted[name], "etag": None, "last_modified": None, "moved_to": None,
                               "disabled_reason": None, "next_due_at": None, "consecutive_failures": 0}
                if values:
                    conn.execute(update(table).where(table.c.name == name).values(**values))

    def fetch_state(self, source: str) -> FetchState:
        """The validators for the next conditional GET of ``source`` (empty for a source never stored)."""
        with self._read() as conn:
            row = conn.execute(select(table.c.etag, table.c.last_modified)
                               .where(table.c.name == source)).first()
        return FetchState() if row is None else FetchState(etag=row.etag, last_modified=row.last_modified)

    def poll_states(self, names: Collection[str]) -> dict[str, tuple[FetchState, int]]:
        """The validators and consecutive failures of each of ``names`` that is stored, in one query per chunk."""
        found: dict[str, tuple[FetchState, int]] = {}
        with self._read() as conn:
            for chunk in batched(sorted(names)):
                query = select(table.c.name, table.c.etag, table.c.last_modified, table.c.consecutive_failures).where(
                    table.c.name.in_(chunk))
                found.update((r.name, (FetchState(etag=r.etag, last_modified=r.last_modified),
                                       int(r.consecutive_failures or 0))) for r in conn.execute(query))
        return found

    def record_not_modified(self, source: str, *, now: datetime, next_due_at: datetime | None = None) -> None:
        """Record a 304: the source is healthy and has nothing new."""
        values: dict[str, Any] = {"last_attempt_at": now, "last_success_at": now, "last_status": 304,
                                  "last_error": None, "consecutive_failures": 0}
        self._update_source(source, values, next_due_at)

    def record_not_modified_many(self, names: Sequence[str], *, now: datetime) -> None:
        """Record a 304 for each of ``names`` in one statement; StoreError naming a source that is not stored."""
        if not names:
            return
        with self._write() as conn:
            result = conn.execute(_NOT_MODIFIED, [{"b_name": name, "b_now": now} for name in names])
            if result.rowcount != len(names):
                stored = {r.name for r in conn.execute(select(table.c.name).where(table.c.name.in_(list(names))))}
                missing = sorted(set(names) - stored)
                raise StoreError(f"unknown source {missing[0]!r}",
                                 hint="sources come from the watchlist: sync them first")

    def record_failure(self, source: str, *, now: datetime, error: str, status: int | None = None,
                       next_due_at: datetime | None = None) -> None:
        """Record a failed poll: one more consecutive failure, with the error and HTTP status."""
        values: dict[str, Any] = {"last_attempt_at": now, "last_status": status, "last_error": error,
                                  "consecutive_failures": table.c.consecutive_failures + 1}
        self._update_source(source, values, next_due_at)

    def _update_source(self, source: str, values: dict[str, Any], next_due_at: datetime | None) -> None:
        if next_due_at is not None:  # None keeps the schedule the service recorded
            values["next_due_at"] = next_due_at
        with self._write() as conn:
            result = conn.execute(update(table).where(table.c.name == source).values(**values))
            if result.rowcount == 0:
                raise StoreError(f"unknown source {source!r}", hint="sources come from the watchlist: sync them first")

    def source_health(self) -> list[SourceHealth]:
        """Every stored source (inactive ones too) with its fetch state, by name."""
        names = [f.name for f in fields(SourceHealth)]
        with self._read() as conn:
            rows = conn.execute(select(*(table.c[n] for n in names)).order_by(table.c.name)).all()
        return [SourceHealth(**dict(row._mapping)) for row in rows]
