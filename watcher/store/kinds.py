"""Store methods the kinds of source need: a site's discovered feed, titles seen (one story, many routes), item times."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update

from watcher.errors import StoreError
from watcher.store.base import StoreBase, batched
from watcher.store.schema import items as items_t
from watcher.store.schema import sources as sources_t


class KindsMixin(StoreBase):
    """Discovered feed URLs on ``sources``; title and time look-ups on ``items``."""

    def feed_url_of(self, source: str) -> str | None:
        """The feed discovered for ``source`` (a site), or None when none is remembered."""
        with self._read() as conn:
            return conn.execute(select(sources_t.c.feed_url).where(sources_t.c.name == source)).scalar()

    def remember_feed_url(self, source: str, feed_url: str | None) -> None:
        """Remember (or with None forget) the feed discovered for ``source``."""
        with self._write() as conn:
            result = conn.execute(update(sources_t).where(sources_t.c.name == source).values(feed_url=feed_url))
            if result.rowcount == 0:
                raise StoreError(f"unknown source {source!r}", hint="sources come from the watchlist: sync them first")

    def titles_seen(self, titles: Collection[str], *, since: datetime,
                    sources: Collection[str] | None = None) -> set[str]:
        """Which of ``titles`` belong to items first seen after ``since`` (only from ``sources`` when given)."""
        if sources is not None and not sources:
            return set()
        found: set[str] = set()
        with self._read() as conn:
            for chunk in batched(list(dict.fromkeys(titles))):
                query = (select(items_t.c.title).select_from(items_t.join(sources_t))
                         .where(items_t.c.title.in_(chunk), items_t.c.first_seen_at > since))
                if sources is not None:
                    query = query.where(sources_t.c.name.in_(list(sources)))
                found.update(title for (title,) in conn.execute(query))
        return found

    def item_times(self, source: str, *, limit: int = 50) -> list[datetime]:
        """Publication times of the newest ``limit`` items of ``source``, newest first."""
        query = (select(items_t.c.published_at).select_from(items_t.join(sources_t))
                 .where(sources_t.c.name == source).order_by(items_t.c.published_at.desc()).limit(limit))
        with self._read() as conn:
            return [t for (t,) in conn.execute(query)]
