"""Items and their matches: what a successful poll stores, and what reports read back."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.engine import Connection, Row

from watcher.errors import StoreError
from watcher.models import Item, Match, Period, StoredItem, StoredMatch
from watcher.store.base import StoreBase, batched, unique_by_key
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t
from watcher.store.schema import sources

_ITEM_COLUMNS = [
    items_t.c.id.label("i_id"), sources.c.name.label("i_source"), items_t.c.key.label("i_key"),
    items_t.c.title.label("i_title"), items_t.c.text.label("i_text"), items_t.c.link.label("i_link"),
    items_t.c.published_at.label("i_published"), items_t.c.guid.label("i_guid"), items_t.c.author.label("i_author"),
    items_t.c.summary_html.label("i_summary_html"), items_t.c.publisher.label("i_publisher"),
    items_t.c.language.label("i_language"), items_t.c.first_seen_at.label("i_first_seen"),
]
_MATCH_COLUMNS = [matches_t.c.id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.text, matches_t.c.start, matches_t.c.end,
                  matches_t.c.snippet, matches_t.c.rule, matches_t.c.found_at]


def key_hash(key: str) -> str:
    """The SHA-256 of an item key: the unique column, since keys may be longer than an index allows."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _match_key(match: Match) -> tuple[str, str, int]:
    return (match.entry_id, match.field, match.start)


class ItemsMixin(StoreBase):
    """Methods on the ``items`` and ``matches`` tables."""

    def record_success(self, source: str, *, now: datetime, status: int, etag: str | None, last_modified: str | None,
                       items: Sequence[Item], matches: Mapping[str, Sequence[Match]], final_url: str | None = None,
                       next_due_at: datetime | None = None) -> tuple[int, int]:
        """Store new items, their matches and the fetch state in one transaction; return (new items, new matches)."""
        unique_items = unique_by_key(items, lambda item: item.key)
        with self._write() as conn:
            row = conn.execute(select(sources.c.id, sources.c.url, sources.c.newest_item_at)
                               .where(sources.c.name == source)).first()
            if row is None:
                raise StoreError(f"unknown source {source!r}", hint="sources come from the watchlist: sync them first")
            new_ids = self._insert_items(conn, row.id, unique_items, now)
            match_rows = [_match_row(item_id, match, now)
                          for key, item_id in new_ids.items()
                          for match in unique_by_key(matches.get(key, ()), _match_key)]
            if match_rows:
                conn.execute(matches_t.insert(), match_rows)
            # A feed dating an item in the future must not make the source look fresh for years.
            newest = max([min(item.published, now) for item in unique_items]
                         + ([row.newest_item_at] if row.newest_item_at else []), default=None)
            conn.execute(update(sources).where(sources.c.id == row.id).values(
                etag=etag, last_modified=last_modified, last_attempt_at=now, last_success_at=now,
                last_status=status, last_error=None, consecutive_failures=0, newest_item_at=newest,
                total_items=sources.c.total_items + len(new_ids),
                # Only a URL other than the configured one is worth telling the operator about.
                moved_to=final_url if final_url and final_url != row.url else None,
                **({"next_due_at": next_due_at} if next_due_at is not None else {}),
            ))
        return len(new_ids), len(match_rows)

    def _insert_items(self, conn: Connection, source_id: int, new: Sequence[Item], now: datetime) -> dict[str, int]:
        """Insert the items whose key is not stored yet; return {key: id} of those inserted."""
        by_hash = {key_hash(item.key): item for item in new}
        for chunk in batched(list(by_hash)):
            for (stored,) in conn.execute(select(items_t.c.key_hash).where(items_t.c.key_hash.in_(chunk))):
                del by_hash[stored]
        if not by_hash:
            return {}
        rows = [_item_row(h, item, source_id, now) for h, item in by_hash.items()]
        # The pre-check keeps PostgreSQL's id sequence from burning; ON CONFLICT covers a concurrent poller
        # that stored the same link (from another source) after the check.
        statement = self._insert(items_t).on_conflict_do_nothing(index_elements=["key_hash"])
        result = conn.execute(statement.returning(items_t.c.id, items_t.c.key_hash), rows)
        return {by_hash[h].key: item_id for item_id, h in result}

    def known_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are stored already."""
        by_hash = {key_hash(key): key for key in keys}
        known: set[str] = set()
        with self._read() as conn:
            for chunk in batched(list(by_hash)):
                known.update(by_hash[h] for (h,) in conn.execute(
                    select(items_t.c.key_hash).where(items_t.c.key_hash.in_(chunk))))
        return known

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
        wanted = {_match_key(m): m for m in unique_by_key(matches, _match_key)}
        with self._write() as conn:
            if conn.execute(select(items_t.c.id).where(items_t.c.id == item_id)).first() is None:
                raise StoreError(f"no item with id {item_id}")
            stored = {(r.entry_id, r.field, r.start): r.id for r in conn.execute(
                select(matches_t.c.id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.start).where(matches_t.c.item_id == item_id))}
            gone = [match_id for key, match_id in stored.items() if key not in wanted]
            for chunk in batched(gone):
                conn.execute(delete(matches_t).where(matches_t.c.id.in_(chunk)))
            for key, match_id in stored.items():
                if key in wanted:
                    m = wanted[key]
                    conn.execute(update(matches_t).where(matches_t.c.id == match_id).values(
                        text=m.text, end=m.end, snippet=m.snippet, rule=m.rule))
            new = [_match_row(item_id, m, now) for key, m in wanted.items() if key not in stored]
            if new:
                conn.execute(matches_t.insert(), new)


def _matches_query(entry_ids: Collection[str] | None) -> Select[Any]:
    query = (select(*_MATCH_COLUMNS, *_ITEM_COLUMNS)
             .select_from(matches_t.join(items_t).join(sources))
             .order_by(matches_t.c.found_at, matches_t.c.id))
    if entry_ids:
        query = query.where(matches_t.c.entry_id.in_(list(entry_ids)))
    return query


def _item_row(h: str, item: Item, source_id: int, now: datetime) -> dict[str, Any]:
    return {"key_hash": h, "key": item.key, "source_id": source_id, "title": item.title, "text": item.text,
            "link": item.link, "guid": item.guid, "author": item.author, "publisher": item.publisher,
            "language": item.language, "summary_html": item.summary_html, "published_at": item.published,
            "first_seen_at": now}


def _match_row(item_id: int, match: Match, now: datetime) -> dict[str, Any]:
    return {"item_id": item_id, "entry_id": match.entry_id, "field": match.field, "text": match.text,
            "start": match.start, "end": match.end, "snippet": match.snippet, "rule": match.rule, "found_at": now}


def _stored_item(row: Row[Any]) -> StoredItem:
    item = Item(key=row.i_key, title=row.i_title, text=row.i_text, link=row.i_link, published=row.i_published,
                guid=row.i_guid, author=row.i_author, summary_html=row.i_summary_html, publisher=row.i_publisher,
                language=row.i_language)
    return StoredItem(id=row.i_id, source=row.i_source, item=item, first_seen=row.i_first_seen)


def _stored_match(row: Row[Any]) -> StoredMatch:
    match = Match(entry_id=row.entry_id, field=row.field, text=row.text, start=row.start, end=row.end,
                  snippet=row.snippet, rule=row.rule)
    return StoredMatch(id=row.id, stored_item=_stored_item(row), match=match, found_at=row.found_at)
