"""The titles and leads of the items beside watched entries over a span: what emerging names are counted on.

Only the first ``LEAD_CHARS`` of each text are read (SQL ``substr``), and of the matches only which entries each
item names: a span of days holds thousands of items, and the names a digest looks for are in the first lines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from watcher.models import Mention, MentionedItem, Period
from watcher.store.base import StoreBase
from watcher.store.history import _driver_rows, _found_by, _utc, dated
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t
from watcher.store.schema import sources

LEAD_CHARS = 600


class LeadsMixin(StoreBase):
    """Items beside watched entries, with their leads, by publication date."""

    def leads(self, period: Period, *, known_at: datetime | None = None) -> list[MentionedItem]:
        """The items with matches published (``dated``) in (period.start, period.end], found by ``known_at``, oldest
        first; each with the first LEAD_CHARS of its text and one mention (no snippet) per entry it names."""
        window = and_(matches_t.c.dated_at > period.start, matches_t.c.dated_at <= period.end, _found_by(known_at))
        named = select(matches_t.c.item_id, matches_t.c.entry_id).where(window).distinct()
        rows = (select(items_t.c.id, sources.c.name, items_t.c.title, items_t.c.link, dated(), items_t.c.publisher,
                       items_t.c.language, func.substr(items_t.c.text, 1, LEAD_CHARS))
                .select_from(items_t.join(sources))
                .where(items_t.c.id.in_(select(matches_t.c.item_id).where(window))))
        with self._read() as conn:
            pairs = _driver_rows(conn, named)
            found = _driver_rows(conn, rows)
        entries: dict[int, list[Mention]] = {}
        for item_id, entry_id in pairs:
            entries.setdefault(item_id, []).append(Mention(item_id, entry_id, "text", 0, 0, ""))
        stamps: dict[Any, datetime] = {}  # a poll stores its items with a few distinct times: convert each once
        out = []
        for item_id, source, title, link, published, publisher, language, text in found:
            stamp = stamps.get(published)
            if stamp is None:
                stamp = stamps[published] = _utc(published)
            out.append(MentionedItem(item_id, source, title, link, stamp, tuple(entries.get(item_id, ())), publisher,
                                     language, text))
        out.sort(key=lambda i: (i.published, i.id))
        return out
