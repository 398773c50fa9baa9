"""Items and their matches: what a successful poll stores, and what reports read back."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection, Row

from watcher.errors import StoreError
from watcher.models import Item, Match, Period, StoredItem, StoredMatch
from watcher.store.base import StoreBase, batched, insert_rows, unique_by_key
from watcher.store.schema import UTCDateTime, sources
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t

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


def key_hash(key: str) -> str:
    """The SHA-256 of an item key: the unique column, since keys may be longer than an index allows."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _match_key(match: Match) -> tuple[str, str, int]:
    return (match.entry_id, match.field, match.start)


@dataclass(frozen=True, slots=True)
class Success:
    """One source's successful fetch as the store records it: the arguments of ``record_success``."""

    source: str
    now: datetime
    status: int
    etag: str | None
    last_modified: str | None
    items: Sequence[Item]
    matches: Mapping[str, Sequence[Match]]
    final_url: str | None = None
    next_due_at: datetime | None = None


# Built once: coercing a fresh IN list of literals cost more than the query itself.
_STORED_HASHES = select(items_t.c.key_hash).where(items_t.c.key_hash.in_(bindparam("hashes", expanding=True)))
# A feed lists its newest items; twice the longest feeds seen (100-200 items) covers a slow one's window.
RECENT_KEYS = 400
_RECENT_KEYS = (select(items_t.c.key, items_t.c.identity)
                .where(items_t.c.source_id == select(sources.c.id).where(sources.c.name == bindparam("name"))
                       .scalar_subquery())
                .order_by(items_t.c.published_at.desc()).limit(bindparam("limit")))
_ITEM_INSERT = ("key_hash", "key", "source_id", "title", "text", "link", "guid", "author", "publisher", "language",
                "summary_html", "published_at", "first_seen_at", "identity")
_MATCH_INSERT = ("item_id", "entry_id", "field", "text", "start", "end", "snippet", "rule", "found_at")


class ItemsMixin(StoreBase):
    """Methods on the ``items`` and ``matches`` tables."""

    def record_success(self, source: str, *, now: datetime, status: int, etag: str | None, last_modified: str | None,
                       items: Sequence[Item], matches: Mapping[str, Sequence[Match]], final_url: str | None = None,
                       next_due_at: datetime | None = None) -> tuple[int, int]:
        """Store new items, their matches and the fetch state in one transaction; return (new items, new matches)."""
        return self.record_many([Success(source, now, status, etag, last_modified, items, matches, final_url,
                                         next_due_at)])[0]

    def record_many(self, successes: Sequence[Success]) -> list[tuple[int, int]]:
        """Store several sources' successes in one transaction; (new items, new matches) of each, in order.

        Each is stored as ``record_success`` would, one after the other; all are committed together, or on
        any error (an unknown source, a constraint) none is. An item whose key comes under two of them is
        stored once, for the first; so is an item whose identity its source has stored (the same item under a
        changed link). Matches are stored only for the items new here.
        """
        if not successes:
            return []
        with self._write() as conn:
            state = _source_rows(conn, {s.source for s in successes})
            # The first occurrence of a key wins, within one source as across sources, as in one call per source.
            pending: dict[str, tuple[int, Item]] = {}
            for index, success in enumerate(successes):
                for item in success.items:
                    pending.setdefault(key_hash(item.key), (index, item))
            if self._engine.dialect.name == "postgresql":
                # A conflicting row still takes a value from PostgreSQL's id sequence: skip the known ones first.
                # SQLite gives rowids only to the rows it inserts, and ON CONFLICT covers a concurrent poller.
                for chunk in batched(list(pending)):
                    for (stored,) in conn.execute(_STORED_HASHES, {"hashes": chunk}):
                        del pending[stored]
            rows = [_item_row(h, item, state[successes[index].source][0], successes[index].now)
                    for h, (index, item) in pending.items()]
            inserted = dict(insert_rows(conn, items_t, _ITEM_INSERT, rows, skip_conflicts=True,
                                        returning=("key_hash", "id")))
            counts = [[0, 0] for _ in successes]
            match_rows: list[tuple[Any, ...]] = []
            for h, (index, item) in pending.items():
                item_id = inserted.get(h)
                if item_id is None:
                    continue
                success = successes[index]
                found = unique_by_key(success.matches.get(item.key, ()), _match_key)
                match_rows.extend(_match_row(item_id, match, success.now) for match in found)
                counts[index][0] += 1
                counts[index][1] += len(found)
            insert_rows(conn, matches_t, _MATCH_INSERT, match_rows)
            updates = [_source_update(success, state, new) for success, (new, _) in zip(successes, counts, strict=True)]
            conn.execute(_SOURCE_UPDATE, updates)
        return [(new, found) for new, found in counts]

    def known_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are stored already."""
        by_hash = {key_hash(key): key for key in keys}
        known: set[str] = set()
        with self._read() as conn:
            for chunk in batched(list(by_hash)):
                known.update(by_hash[h] for h in conn.execute(_STORED_HASHES, {"hashes": chunk}).scalars().all())
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
            new = [_match_dict(item_id, m, now) for key, m in wanted.items() if key not in stored]
            if new:
                conn.execute(matches_t.insert(), new)


def _matches_query(entry_ids: Collection[str] | None) -> Select[Any]:
    query = (select(*_MATCH_COLUMNS, *_ITEM_COLUMNS)
             .select_from(matches_t.join(items_t).join(sources))
             .order_by(matches_t.c.found_at, matches_t.c.id))
    if entry_ids:
        query = query.where(matches_t.c.entry_id.in_(list(entry_ids)))
    return query


def _item_row(h: str, item: Item, source_id: int, now: datetime) -> tuple[Any, ...]:
    return (h, item.key, source_id, item.title, item.text, item.link, item.guid, item.author, item.publisher,
            item.language, item.summary_html, item.published, now, item.identity)


def _match_row(item_id: int, match: Match, now: datetime) -> tuple[Any, ...]:
    return (item_id, match.entry_id, match.field, match.text, match.start, match.end, match.snippet, match.rule, now)


def _match_dict(item_id: int, match: Match, now: datetime) -> dict[str, Any]:
    return dict(zip(_MATCH_INSERT, _match_row(item_id, match, now), strict=True))


def _source_rows(conn: Connection, names: Collection[str]) -> dict[str, list[Any]]:
    """[id, url, newest_item_at] of each source named, or StoreError naming one that is unknown."""
    state: dict[str, list[Any]] = {}
    for chunk in batched(sorted(names)):
        query = select(sources.c.name, sources.c.id, sources.c.url, sources.c.newest_item_at).where(
            sources.c.name.in_(chunk))
        state.update((row.name, [row.id, row.url, row.newest_item_at]) for row in conn.execute(query))
    for name in names:
        if name not in state:
            raise StoreError(f"unknown source {name!r}", hint="sources come from the watchlist: sync them first")
    return state


# One UPDATE for every source of a record_many; next_due_at is kept when the caller gives none.
_SOURCE_UPDATE = update(sources).where(sources.c.id == bindparam("b_id")).values(
    etag=bindparam("b_etag"), last_modified=bindparam("b_last_modified"), last_attempt_at=bindparam("b_now"),
    last_success_at=bindparam("b_now"), last_status=bindparam("b_status"), last_error=None, consecutive_failures=0,
    newest_item_at=bindparam("b_newest"), total_items=sources.c.total_items + bindparam("b_new", type_=Integer()),
    moved_to=bindparam("b_moved_to"),
    next_due_at=func.coalesce(bindparam("b_next_due_at", type_=UTCDateTime()), sources.c.next_due_at),
)


def _source_update(success: Success, state: dict[str, list[Any]], new: int) -> dict[str, Any]:
    """The parameters of _SOURCE_UPDATE for ``success``; carries the source's newest item to a later success."""
    row = state[success.source]
    # A feed dating an item in the future must not make the source look fresh for years.
    newest = max([min(item.published, success.now) for item in success.items] + ([row[2]] if row[2] else []),
                 default=None)
    row[2] = newest
    return {"b_id": row[0], "b_etag": success.etag, "b_last_modified": success.last_modified, "b_now": success.now,
            "b_status": success.status, "b_newest": newest, "b_new": new, "b_next_due_at": success.next_due_at,
            # Only a URL other than the configured one is worth telling the operator about.
            "b_moved_to": success.final_url if success.final_url and success.final_url != row[1] else None}


def _stored_item(row: Row[Any]) -> StoredItem:
    item = Item(key=row.i_key, title=row.i_title, text=row.i_text, link=row.i_link, published=row.i_published,
                guid=row.i_guid, author=row.i_author, summary_html=row.i_summary_html, publisher=row.i_publisher,
                language=row.i_language, identity=row.i_identity)
    return StoredItem(id=row.i_id, source=row.i_source, item=item, first_seen=row.i_first_seen)


def _stored_match(row: Row[Any]) -> StoredMatch:
    match = Match(entry_id=row.entry_id, field=row.field, text=row.text, start=row.start, end=row.end,
                  snippet=row.snippet, rule=row.rule)
    return StoredMatch(id=row.id, stored_item=_stored_item(row), match=match, found_at=row.found_at)
