"""What digests ask about the past, answered with aggregates in the database (GROUP BY, MAX), not row by row.

Counts per period, when each entry and each pair of entries was last seen, new items per source: these read
whole months of matches, so they return a few numbers per entry instead of the matches themselves. The period's
own matches come as ``MentionedItem``: each item once, with only what a digest counts, groups and shows.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, null, select
from sqlalchemy.engine import Connection

from watcher.models import Mention, MentionedItem, Period
from watcher.store.base import BATCH, StoreBase
from watcher.store.schema import UTCDateTime, sources
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t


def _bucket(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index of the period (start, end] that ``column`` falls in, NULL outside them all."""
    return case(*((and_(column > p.start, column <= p.end), literal(i)) for i, p in enumerate(periods)), else_=None)


def _window(column: Any, periods: Sequence[Period]) -> ColumnElement[bool]:
    return and_(column > min(p.start for p in periods), column <= max(p.end for p in periods))


class HistoryMixin(StoreBase):
    """Aggregates over ``matches`` and ``items`` for the trend sections of digests, and the period's items."""

    def mentioned_items(self, period: Period, *, with_text: bool = False) -> list[MentionedItem]:
        """Items with matches found in (period.start, period.end], each with those matches; by published, then id.

        The item's text is read only ``with_text`` (situation queries need it); summaries and matched text never.
        """
        found = and_(matches_t.c.found_at > period.start, matches_t.c.found_at <= period.end)
        mentions = select(matches_t.c.item_id, matches_t.c.entry_id, matches_t.c.field, matches_t.c.start,
                          matches_t.c.id, matches_t.c.snippet).where(found)
        items = (select(items_t.c.id, sources.c.name, items_t.c.title, items_t.c.link, items_t.c.published_at,
                        items_t.c.publisher, items_t.c.language, items_t.c.text if with_text else null())
                 .select_from(items_t.join(sources))
                 .where(items_t.c.id.in_(select(matches_t.c.item_id).where(found)))
                 .order_by(items_t.c.published_at, items_t.c.id))
        with self._read() as conn:
            found_rows = _driver_rows(conn, mentions)
            rows = _driver_rows(conn, items)
        # Rows come in the order matches were found, nearly that of their items and ids: sorting is one pass.
        found_rows.sort(key=itemgetter(0, 4))
        of_item = {item_id: tuple(group) for item_id, group in groupby(map(_MENTION, found_rows), itemgetter(0))}
        stamps: dict[Any, datetime] = {}  # a poll stores its items with a few distinct times: convert each once
        out: list[MentionedItem] = []
        for item_id, source, title, link, published, publisher, language, text in rows:
            found_here = of_item.get(item_id)
            if found_here is None:  # its matches were replaced between the two reads
                continue
            stamp = stamps.get(published)
            if stamp is None:
                stamp = stamps[published] = _utc(published)
            out.append(MentionedItem(item_id, source, title, link, stamp, found_here, publisher, language, text))
        return out

    def entry_counts(self, periods: Sequence[Period], *,
                     entry_ids: Collection[str] | None = None) -> dict[str, list[tuple[int, int]]]:
        """Per entry, (distinct items, distinct outlets) in each of ``periods``, by found_at; in order."""
        if not periods:
            return {}
        bucket = _bucket(matches_t.c.found_at, periods).label("bucket")
        outlet = func.coalesce(func.nullif(items_t.c.publisher, ""), sources.c.name)
        query = (select(matches_t.c.entry_id, bucket, func.count(func.distinct(matches_t.c.item_id)),
                        func.count(func.distinct(outlet)))
                 .select_from(matches_t.join(items_t).join(sources))
                 .where(_window(matches_t.c.found_at, periods))
                 .group_by(matches_t.c.entry_id, bucket))
        wanted = None if entry_ids is None else set(entry_ids)
        out: dict[str, list[tuple[int, int]]] = {}
        with self._read() as conn:
            for entry_id, index, n_items, n_outlets in conn.execute(query):
                if index is None or (wanted is not None and entry_id not in wanted):
                    continue
                out.setdefault(entry_id, [(0, 0)] * len(periods))[int(index)] = (int(n_items), int(n_outlets))
        return out

    def last_mentions(self, before: datetime, *, entry_ids: Collection[str] | None = None) -> dict[str, datetime]:
        """Per entry, the last found_at at or before ``before`` (entries never seen are absent)."""
        query = (select(matches_t.c.entry_id, func.max(matches_t.c.found_at))
                 .where(matches_t.c.found_at <= before).group_by(matches_t.c.entry_id))
        wanted = None if entry_ids is None else set(entry_ids)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {e: _utc(t) for e, t in rows if t is not None and (wanted is None or e in wanted)}

    def first_match_at(self) -> datetime | None:
        """When the first stored match was found (None for a store without matches)."""
        with self._read() as conn:
            first = conn.execute(select(func.min(matches_t.c.found_at))).scalar()
        return None if first is None else _utc(first)

    def last_pairings(self, before: datetime, *, entry_ids: Collection[str]) -> dict[tuple[str, str], datetime]:
        """Per pair (a, b), a < b, of ``entry_ids``: the last found_at at or before ``before`` of an item with both."""
        wanted = set(entry_ids)
        if len(wanted) < 2:
            return {}
        a, b = matches_t.alias("a"), matches_t.alias("b")
        query = (select(a.c.entry_id, b.c.entry_id, func.max(a.c.found_at))
                 .select_from(a.join(b, and_(a.c.item_id == b.c.item_id, a.c.entry_id < b.c.entry_id)))
                 .where(a.c.found_at <= before)
                 .group_by(a.c.entry_id, b.c.entry_id))
        if len(wanted) <= BATCH // 2:  # both lists are bound parameters; beyond that, filter here
            query = query.where(a.c.entry_id.in_(sorted(wanted)), b.c.entry_id.in_(sorted(wanted)))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {(x, y): _utc(t) for x, y, t in rows if x in wanted and y in wanted and t is not None}

    def source_item_counts(self, periods: Sequence[Period]) -> dict[str, list[int]]:
        """Per source name, the items first seen in each of ``periods``, in order (sources with none absent)."""
        if not periods:
            return {}
        bucket = _bucket(items_t.c.first_seen_at, periods).label("bucket")
        query = (select(sources.c.name, bucket, func.count())
                 .select_from(items_t.join(sources))
                 .where(_window(items_t.c.first_seen_at, periods))
                 .group_by(sources.c.name, bucket))
        out: dict[str, list[int]] = {}
        with self._read() as conn:
            for name, index, n in conn.execute(query):
                if index is not None:
                    out.setdefault(name, [0] * len(periods))[int(index)] = int(n)
        return out


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
