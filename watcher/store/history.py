"""What digests ask about the past, answered with aggregates in the database (GROUP BY, MAX), not row by row.

Counts per period, when each entry and each pair of entries was last mentioned, new items per source: these read
whole months of matches, so they return a few numbers per entry instead of the matches themselves. The period's
own items come as ``MentionedItem``: each item once, with only what a digest counts, groups and shows.

History is counted by publication date (``dated``: the item's date, or when it was first seen when that date is
later or absurd, as ``watcher.models.publication_date`` says; each match keeps its item's as ``dated_at``), over
what was stored by a moment, so a feed's backlog gives a first digest its past. Which items a period reports is
decided by when they were first seen (their matches found), so each is reported once.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, null, or_, select, true, type_coerce
from sqlalchemy.engine import Connection

from watcher.models import EARLIEST_PUBLISHED, Mention, MentionedItem, Period
from watcher.store.base import BATCH, StoreBase
from watcher.store.schema import UTCDateTime, sources
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t


def dated() -> ColumnElement[datetime]:
    """The item's publication date as history counts it (``watcher.models.publication_date`` in SQL)."""
    published, first_seen = items_t.c.published_at, items_t.c.first_seen_at
    return type_coerce(case((or_(published > first_seen, published < EARLIEST_PUBLISHED), first_seen),
                            else_=published), UTCDateTime())


def _known(at: datetime | None) -> ColumnElement[bool]:
    """Items first seen by ``at`` (all when None): what the store knew then."""
    return true() if at is None else items_t.c.first_seen_at <= at


def _found_by(at: datetime | None, table: Any = matches_t) -> ColumnElement[bool]:
    """Matches found by ``at`` (all when None): what the store knew then."""
    return true() if at is None else table.c.found_at <= at


def _bucket(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index of the period (start, end] that ``column`` falls in, NULL outside them all."""
    return case(*((and_(column > p.start, column <= p.end), literal(i)) for i, p in enumerate(periods)), else_=None)


def _window(column: Any, periods: Sequence[Period]) -> ColumnElement[bool]:
    return and_(column > min(p.start for p in periods), column <= max(p.end for p in periods))


class HistoryMixin(StoreBase):
    """Aggregates over ``matches`` and ``items`` for the trend sections of digests, and the period's items."""

    def mentioned_items(self, period: Period, *, with_text: bool = False, unmatched: bool = False,
                        published_after: datetime | None = None) -> list[MentionedItem]:
        """The items a digest of ``period`` reports, each with its matches found in the period; by date, then id.

        Those are the items with matches found in (period.start, period.end], and ``unmatched``, the other items
        first seen then (situation queries may select them). ``published_after``: only items published (``dated``)
        after it; a first digest reports one period of a backlog and counts the rest as history. The item's text
        is read only ``with_text``; summaries and matched text never.
        """
        # An item dated after a moment was first seen after it, and its matches found after it (``dated`` is never
        # later than first seen): a window of days reads the indexed columns, not the whole store.
        since = period.start if published_after is None else max(period.start, published_after)
        found = and_(matches_t.c.found_at > since, matches_t.c.found_at <= period.end)
        selected: ColumnElement[bool] = items_t.c.id.in_(select(matches_t.c.item_id).where(found))
        if unmatched:
            selected = or_(selected, and_(items_t.c.first_seen_at > period.start, items_t.c.first_seen_at <= period.end))
        recent = true() if published_after is None else and_(items_t.c.first_seen_at > published_after,
                                                              dated() > published_after)
        mentions = (select(matches_t.c.item_id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.start,
                           matches_t.c.id, matches_t.c.snippet).where(found))
        if published_after is not None:
            mentions = mentions.join_from(matches_t, items_t).where(recent)
        items = (select(items_t.c.id, sources.c.name, items_t.c.title, items_t.c.link, dated(),
                        items_t.c.publisher, items_t.c.language, items_t.c.text if with_text else null())
                 .select_from(items_t.join(sources))
                 .where(selected, recent))
        with self._read() as conn:
            found_rows = _driver_rows(conn, mentions)
            rows = _driver_rows(conn, items)
        rows.sort(key=lambda r: (r[4], r[0]))  # text dates of one format, or datetimes: either sorts in time order
        # Rows come in the order matches were found, nearly that of their items and ids: sorting is one pass.
        found_rows.sort(key=itemgetter(0, 4))
        of_item = {item_id: tuple(group) for item_id, group in groupby(map(_MENTION, found_rows), itemgetter(0))}
        stamps: dict[Any, datetime] = {}  # a poll stores its items with a few distinct times: convert each once
        out: list[MentionedItem] = []
        for item_id, source, title, link, published, publisher, language, text in rows:
            found_here = of_item.get(item_id)
            if found_here is None:
                if not unmatched:  # its matches were replaced between the two reads
                    continue
                found_here = ()
            stamp = stamps.get(published)
            if stamp is None:
                stamp = stamps[published] = _utc(published)
            out.append(MentionedItem(item_id, source, title, link, stamp, found_here, publisher, language, text))
        return out

    def entry_counts(self, periods: Sequence[Period], *, entry_ids: Collection[str] | None = None,
                     known_at: datetime | None = None) -> dict[str, list[tuple[int, int]]]:
        """Per entry, (distinct items, distinct outlets) published in each of ``periods`` (``dated``), in order.

        ``known_at``: only matches found by then (all when None).
        """
        if not periods:
            return {}
        when = matches_t.c.dated_at
        bucket = _bucket(when, periods).label("bucket")
        outlet = func.coalesce(func.nullif(items_t.c.publisher, ""), sources.c.name)
        query = (select(matches_t.c.entry_id, bucket, func.count(func.distinct(matches_t.c.item_id)),
                        func.count(func.distinct(outlet)))
                 .select_from(matches_t.join(items_t).join(sources))
                 .where(_window(when, periods), _found_by(known_at))
                 .group_by(matches_t.c.entry_id, bucket))
        wanted = None if entry_ids is None else set(entry_ids)
        out: dict[str, list[tuple[int, int]]] = {}
        with self._read() as conn:
            for entry_id, index, n_items, n_outlets in conn.execute(query):
                if index is None or (wanted is not None and entry_id not in wanted):
                    continue
                out.setdefault(entry_id, [(0, 0)] * len(periods))[int(index)] = (int(n_items), int(n_outlets))
        return out

    def last_mentions(self, before: datetime, *, entry_ids: Collection[str] | None = None,
                      known_at: datetime | None = None) -> dict[str, datetime]:
        """Per entry, its last mention published at or before ``before`` (entries never mentioned are absent)."""
        query = (select(matches_t.c.entry_id, func.max(matches_t.c.dated_at))
                 .where(matches_t.c.dated_at <= before, _found_by(known_at)).group_by(matches_t.c.entry_id))
        wanted = None if entry_ids is None else set(entry_ids)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {e: _utc(t) for e, t in rows if t is not None and (wanted is None or e in wanted)}

    def first_mention_at(self, *, known_at: datetime | None = None) -> datetime | None:
        """When the earliest item with a match was published (None for a store without matches): before it there
        is no past to compare with."""
        query = select(func.min(matches_t.c.dated_at)).where(_found_by(known_at))
        with self._read() as conn:
            first = conn.execute(query).scalar()
        return None if first is None else _utc(first)

    def last_pairings(self, before: datetime, *, entry_ids: Collection[str],
                      known_at: datetime | None = None) -> dict[tuple[str, str], datetime]:
        """Per pair (a, b), a < b, of ``entry_ids``: the last item with both published at or before ``before``."""
        wanted = set(entry_ids)
        if len(wanted) < 2:
            return {}
        a, b = matches_t.alias("a"), matches_t.alias("b")
        query = (select(a.c.entry_id, b.c.entry_id, func.max(a.c.dated_at))
                 .select_from(a.join(b, and_(a.c.item_id == b.c.item_id, a.c.entry_id < b.c.entry_id)))
                 .where(a.c.dated_at <= before, _found_by(known_at, a))
                 .group_by(a.c.entry_id, b.c.entry_id))
        if len(wanted) <= BATCH // 2:  # both lists are bound parameters; beyond that, filter here
            query = query.where(a.c.entry_id.in_(sorted(wanted)), b.c.entry_id.in_(sorted(wanted)))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {(x, y): _utc(t) for x, y, t in rows if x in wanted and y in wanted and t is not None}

    def source_item_counts(self, periods: Sequence[Period], *,
                           known_at: datetime | None = None) -> dict[str, list[int]]:
        """Per source name, the items published in each of ``periods`` (``dated``), in order (sources with none
        absent); ``known_at``: only items first seen by then."""
        if not periods:
            return {}
        when = dated()
        bucket = _bucket(when, periods).label("bucket")
        query = (select(sources.c.name, bucket, func.count())
                 .select_from(items_t.join(sources))
                 .where(_window(when, periods), _known(known_at))
                 .group_by(sources.c.name, bucket))
        out: dict[str, list[int]] = {}
        with self._read() as conn:
            for name, index, n in conn.execute(query):
                if index is not None:
                    out.setdefault(name, [0] * len(periods))[int(index)] = int(n)
        return out

    def feed_titles(self) -> dict[str, str]:
        """Per source name, the title its last document gave itself (sources without one absent)."""
        with self._read() as conn:
            rows = conn.execute(select(sources.c.name, sources.c.feed_title).where(sources.c.feed_title.is_not(None)))
            return {name: title for name, title in rows if title}


# A row as a Mention without the NamedTuple's constructor (a Python call per row: a third of reading them).
_MENTION = functools.partial(tuple.__new__, Mention)


def _driver_rows(conn: Connection, query: Select[Any]) -> list[Any]:
    """The rows of ``query`` as the database driver gives them: tuples, datetimes as SQLite's text.

    SQLAlchemy's row objects and type conversions cost twice the driver's own fetch over 100,000 matches; the
    columns read this way are integers and text, and datetimes go through ``_utc``.
    """
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _utc(value: Any) -> datetime:
    # MAX keeps the column's type, but a guard costs nothing: text or a naive datetime is read as UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    result = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert result is not None
    return result
