"""Items and their matches as reports, rematch and the poll's skip of known items read them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.engine import Row

from watcher.errors import StoreError
from watcher.models import Item, Match, Period, StoredItem, StoredMatch, publication_date
from watcher.store.base import StoreBase, batched, unique_by_key
from watcher.store.polls import MATCH_INSERT, STORED_HASHES, key_hash, match_key, match_row
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t
from watcher.store.schema import sources
from watcher.store.schema import sources as sources_t

_ITEM_COLUMNS = [
    items_t.c.id.label("i_id"), sources.c.name.label("i_source"), items_t.c.key.label("i_key"),
    items_t.c.title.label("i_title"), items_t.c.text.label("i_text"), items_t.c.link.label("i_link"),
    items_t.c.published_at.label("i_published"), items_t.c.guid.label("i_guid"), items_t.c.author.label("i_author"),
    items_t.c.summary_html.label("i_summary_html"), items_t.c.publisher.label("i_publisher"),
    items_t.c.language.label("i_language"), items_t.c.first_seen_at.label("i_first_seen"),
    items_t.c.identity.label("i_identity"),
]
_MATCH_COLUMNS = [matches_t.c.id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.text, matches_t.c.start, matches_t.c.end,
                  matches_t.c.snippet, matches_t.c.rule, matches_t.c.found_at]


# A feed lists its newest items; twice the longest feeds seen (100-200 items) covers a slow one's window.
RECENT_KEYS = 400
_RECENT_KEYS = (select(items_t.c.key, items_t.c.identity)
                .where(items_t.c.source_id == select(sources.c.id).where(sources.c.name == bindparam("name"))
                       .scalar_subquery())
                .order_by(items_t.c.published_at.desc()).limit(bindparam("limit")))


_NEWEST_TIMES = (select(items_t.c.published_at)
                 .where(items_t.c.source_id == select(sources.c.id).where(sources.c.name == bindparam("name"))
                        .scalar_subquery())
                 .order_by(items_t.c.published_at.desc()).limit(bindparam("limit")))


class ItemsMixin(StoreBase):
    """Methods on the ``items`` and ``matches`` tables."""

    def known_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are stored already."""
        by_hash = {key_hash(key): key for key in keys}
        known: set[str] = set()
        with self._read() as conn:
            for chunk in batched(list(by_hash)):
                known.update(by_hash[h] for h in conn.execute(STORED_HASHES, {"hashes": chunk}).scalars().all())
        return known

    def recent_keys(self, source: str, *, limit: int = RECENT_KEYS) -> set[str]:
        """Keys and identities of the ``limit`` items of ``source`` published last: what its feed most likely
        still lists, under the same link or (an identity) a changed one."""
        known: set[str] = set()
        with self._read() as conn:
            for key, identity in conn.execute(_RECENT_KEYS, {"name": source, "limit": limit}):
                known.add(key)
                if identity is not None:
                    known.add(identity)
        return known

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

    def item_times(self, names: Collection[str], *, limit: int = 50) -> dict[str, list[datetime]]:
        """Publication times of the newest ``limit`` items of each of ``names``, newest first, by name."""
        # One indexed look-up per source (source_id, published_at): a window over every item would read them all.
        with self._read() as conn:
            return {name: list(conn.execute(_NEWEST_TIMES, {"name": name, "limit": limit}).scalars())
                    for name in names}

    def matches_between(self, period: Period, *, entry_ids: Collection[str] | None = None) -> list[StoredMatch]:
        """Matches found in (period.start, period.end], optionally only of ``entry_ids``, by found_at then id."""
        query = _matches_query(entry_ids).where(matches_t.c.found_at > period.start, matches_t.c.found_at <= period.end)
        return self._stored_matches(query, entry_ids)

    def matches_since(self, since: datetime, *, entry_ids: Collection[str] | None = None,
                      limit: int | None = None) -> list[StoredMatch]:
        """Matches found after ``since``, oldest first, at most ``limit``."""
        query = _matches_query(entry_ids).where(matches_t.c.found_at > since).limit(limit)
        return self._stored_matches(query, entry_ids)

    def _stored_matches(self, query: Select[Any], entry_ids: Collection[str] | None) -> list[StoredMatch]:
        if entry_ids is not None and not entry_ids:
            return []
        with self._read() as conn:
            return [_stored_match(row) for row in conn.execute(query)]

    def items_between(self, period: Period) -> list[StoredItem]:
        """Items first seen in (period.start, period.end], by first_seen then id."""
        query = (select(*_ITEM_COLUMNS).select_from(items_t.join(sources))
                 .where(items_t.c.first_seen_at > period.start, items_t.c.first_seen_at <= period.end)
                 .order_by(items_t.c.first_seen_at, items_t.c.id))
        with self._read() as conn:
            return [_stored_item(row) for row in conn.execute(query)]

    def replace_matches(self, item_id: int, matches: Sequence[Match], *, now: datetime) -> None:
        """Make ``matches`` the item's matches; unchanged ones keep their found_at so digests don't repeat them."""
        wanted = {match_key(m): m for m in unique_by_key(matches, match_key)}
        with self._write() as conn:
            item = conn.execute(select(items_t.c.published_at, items_t.c.first_seen_at)
                                .where(items_t.c.id == item_id)).first()
            if item is None:
                raise StoreError(f"no item with id {item_id}")
            dated = publication_date(item.published_at, item.first_seen_at)
            query = select(matches_t.c.id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.start).where(
                matches_t.c.item_id == item_id)
            stored = {(r.entry_id, r.field, r.start): r.id for r in conn.execute(query)}
            gone = [match_id for key, match_id in stored.items() if key not in wanted]
            for chunk in batched(gone):
                conn.execute(delete(matches_t).where(matches_t.c.id.in_(chunk)))
            for key, match_id in stored.items():
                if key in wanted:
                    m = wanted[key]
                    conn.execute(update(matches_t).where(matches_t.c.id == match_id).values(
                        text=m.text, end=m.end, snippet=m.snippet, rule=m.rule))
            new = [_match_dict(item_id, m, now, dated) for key, m in wanted.items() if key not in stored]
            if new:
                conn.execute(matches_t.insert(), new)


def _matches_query(entry_ids: Collection[str] | None) -> Select[Any]:
    query = (select(*_MATCH_COLUMNS, *_ITEM_COLUMNS)
             .select_from(matches_t.join(items_t).join(sources))
             .order_by(matches_t.c.found_at, matches_t.c.id))
    if entry_ids:
        query = query.where(matches_t.c.entry_id.in_(list(entry_ids)))
    return query


def _match_dict(item_id: int, match: Match, now: datetime, dated: datetime) -> dict[str, Any]:
    return dict(zip(MATCH_INSERT, match_row(item_id, match, now, dated), strict=True))


def _stored_item(row: Row[Any]) -> StoredItem:
    item = Item(key=row.i_key, title=row.i_title, text=row.i_text, link=row.i_link, published=row.i_published,
                guid=row.i_guid, author=row.i_author, summary_html=row.i_summary_html, publisher=row.i_publisher,
                language=row.i_language, identity=row.i_identity)
    return StoredItem(id=row.i_id, source=row.i_source, item=item, first_seen=row.i_first_seen)


def _stored_match(row: Row[Any]) -> StoredMatch:
    match = Match(entry_id=row.entry_id, field=row.field, text=row.text, start=row.start, end=row.end,
                  snippet=row.snippet, rule=row.rule)
    return StoredMatch(id=row.id, stored_item=_stored_item(row), match=match, found_at=row.found_at)
