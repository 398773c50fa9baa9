"""Sources: the watchlist's feeds, their conditional-GET state and their health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from watcher.models import SourceHealth
from watcher.store.base import StoreBase
from watcher.store.schema import sources as table


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

    def feed_url_of(self, source: str) -> str | None:
        """The feed discovered for ``source`` (a site), or None when none is remembered."""
        with self._read() as conn:
            return conn.execute(select(table.c.feed_url).where(table.c.name == source)).scalar()

    def source_health(self) -> list[SourceHealth]:
        """Every stored source (inactive ones too) with its fetch state, by name."""
        names = [f.name for f in fields(SourceHealth)]
        with self._read() as conn:
            rows = conn.execute(select(*(table.c[n] for n in names)).order_by(table.c.name)).all()
        return [SourceHealth(**dict(row._mapping)) for row in rows]
