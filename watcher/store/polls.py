"""What a poll reads before it starts and writes when it ends: each source's state, and each source's record.

A poll's records are written many sources per transaction: items, matches, fetch state and the decider's
scheduling decision of each source together, so a crash never stores an item without its source's state or
the other way round. A source leased to another process (a service that claimed it) keeps its row as that
process leaves it; items are stored whoever brings them, once each (the unique key hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from watcher.errors import StoreError
from watcher.models import FetchState, Item, Match, PollRecord, SourceState, publication_date
from watcher.store.base import StoreBase, batched, insert_rows, unique_by_key
from watcher.store.schema import UTCDateTime, digest_periods, sources
from watcher.store.schema import items as items_t
from watcher.store.schema import matches as matches_t


def key_hash(key: str) -> str:
    """The SHA-256 of an item key: the unique column, since keys may be longer than an index allows."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def match_key(match: Match) -> tuple[str, str, int]:
    """What makes a match unique within its item: one row per (entry, field, offset)."""
    return (match.entry_id, match.field, match.start)


# Built once: coercing a fresh IN list of literals cost more than the query itself.
STORED_HASHES = select(items_t.c.key_hash).where(items_t.c.key_hash.in_(bindparam("hashes", expanding=True)))
_ITEM_INSERT = ("key_hash", "key", "source_id", "title", "text", "link", "guid", "author", "publisher", "language",
                "summary_html", "published_at", "first_seen_at", "identity")
MATCH_INSERT = ("item_id", "entry_id", "field", "text", "start", "end", "snippet", "rule", "found_at", "dated_at")

# One UPDATE per kind of result, run for every source of a batch at once. The scheduling columns take the
# decider's values as they are; a source leased to another process is left as that process leaves it.
_HELD = or_(sources.c.lease_owner.is_(None), sources.c.lease_owner == bindparam("b_owner"))
_SCHEDULE: dict[str, Any] = {
    "last_attempt_at": bindparam("b_at"), "last_status": bindparam("b_status"),
    "consecutive_failures": bindparam("b_failures"), "moved_to": bindparam("b_moved_to"),
    "disabled_reason": func.coalesce(bindparam("b_reason"), sources.c.disabled_reason),
    "feed_url": func.coalesce(bindparam("b_feed_url"), sources.c.feed_url),
    "lease_owner": None, "lease_until": None,
}
_DOCUMENT = update(sources).where(sources.c.id == bindparam("b_id"), _HELD).values(
    **_SCHEDULE, etag=bindparam("b_etag"), last_modified=bindparam("b_last_modified"),
    last_success_at=bindparam("b_at"), last_error=None, newest_item_at=bindparam("b_newest"),
    feed_title=func.coalesce(bindparam("b_feed_title"), sources.c.feed_title),
    total_items=sources.c.total_items + bindparam("b_new", type_=Integer()),
    # A record built without a decision (``record_success``) keeps the schedule it finds.
    next_due_at=func.coalesce(bindparam("b_next_due_at", type_=UTCDateTime()), sources.c.next_due_at))
_NOT_MODIFIED = update(sources).where(sources.c.id == bindparam("b_id"), _HELD).values(
    **_SCHEDULE, last_success_at=bindparam("b_at"), last_error=None,
    next_due_at=func.coalesce(bindparam("b_next_due_at", type_=UTCDateTime()), sources.c.next_due_at))
_ERROR = update(sources).where(sources.c.id == bindparam("b_id"), _HELD).values(
    **_SCHEDULE, last_error=bindparam("b_error"), next_due_at=bindparam("b_next_due_at", type_=UTCDateTime()))
_STATEMENTS = {"document": _DOCUMENT, "not-modified": _NOT_MODIFIED, "error": _ERROR}


class PollsMixin(StoreBase):
    """Methods a poll uses on ``sources``, ``items`` and ``matches``."""

    def poll_states(self, names: Collection[str]) -> dict[str, SourceState]:
        """The state each of ``names`` that is stored starts its next poll from, in one query per chunk."""
        found: dict[str, SourceState] = {}
        columns = (sources.c.name, sources.c.etag, sources.c.last_modified, sources.c.consecutive_failures,
                   sources.c.moved_to, sources.c.feed_url)
        with self._read() as conn:
            for chunk in batched(sorted(names)):
                for r in conn.execute(select(*columns).where(sources.c.name.in_(chunk))):
                    found[r.name] = SourceState(FetchState(r.etag, r.last_modified), int(r.consecutive_failures or 0),
                                                r.moved_to, r.feed_url)
        return found

    def record_polls(self, records: Sequence[PollRecord], *, owner: str | None = None) -> list[tuple[int, int]]:
        """Write every record in one transaction; (new items, new matches) of each, in order.

        An item whose key comes under two records is stored once, for the first; so is an item whose identity
        its source has stored (the same item under a changed link). Matches are stored only for the items new
        here. On any error (an unknown source, a value the database refuses) nothing is written.
        ``owner``: the process that leased these sources; its leases are released.
        """
        if not records:
            return []
        with self._write() as conn:
            state = _source_rows(conn, {r.source for r in records})
            counts = self._insert_items(conn, records, state)
            by_kind: dict[str, list[dict[str, Any]]] = {}
            for record, (new, _) in zip(records, counts, strict=True):
                by_kind.setdefault(record.result, []).append(_source_params(record, state, new, owner))
            for kind, params in by_kind.items():
                conn.execute(_STATEMENTS[kind], params)
        return [(new, found) for new, found in counts]

    def record_success(self, source: str, *, now: datetime, status: int, etag: str | None,
                       last_modified: str | None, items: Sequence[Item],
                       matches: Mapping[str, Sequence[Match]]) -> tuple[int, int]:
        """Store a document's items and matches for ``source`` without changing its schedule (imports, fixtures)."""
        record = PollRecord(source, now, "document", status, next_due_at=None, failures=0, etag=etag,
                            last_modified=last_modified, items=tuple(items),
                            matches={k: tuple(v) for k, v in matches.items()})
        return self.record_polls([record])[0]

    def _insert_items(self, conn: Connection, records: Sequence[PollRecord],
                      state: dict[str, list[Any]]) -> list[list[int]]:
        # The first occurrence of a key wins, within one source as across sources.
        pending: dict[str, tuple[int, Item]] = {}
        for index, record in enumerate(records):
            for item in record.items:
                pending.setdefault(key_hash(item.key), (index, item))
        if self._engine.dialect.name == "postgresql":
            # A conflicting row still takes a value from PostgreSQL's id sequence: skip the known ones first.
            # SQLite gives rowids only to the rows it inserts, and ON CONFLICT covers a concurrent poller.
            for chunk in batched(list(pending)):
                for (stored,) in conn.execute(STORED_HASHES, {"hashes": chunk}):
                    del pending[stored]
        rows = [_item_row(h, item, state[records[index].source][0], records[index].at)
                for h, (index, item) in pending.items()]
        inserted = dict(insert_rows(conn, items_t, _ITEM_INSERT, rows, skip_conflicts=True,
                                    returning=("key_hash", "id")))
        counts = [[0, 0] for _ in records]
        match_rows: list[tuple[Any, ...]] = []
        after_periods: datetime | None = None
        for h, (index, item) in pending.items():
            item_id = inserted.get(h)
            if item_id is None:
                continue
            record = records[index]
            found = unique_by_key(record.matches.get(item.key, ()), match_key)
            if found and after_periods is None:
                after_periods = _after_closed_periods(conn)
            at = record.at if after_periods is None or record.at > after_periods else after_periods
            dated = publication_date(item.published, record.at)  # the item is first seen at record.at
            match_rows.extend(match_row(item_id, match, at, dated) for match in found)
            counts[index][0] += 1
            counts[index][1] += len(found)
        insert_rows(conn, matches_t, MATCH_INSERT, match_rows)
        return counts


def _item_row(h: str, item: Item, source_id: int, now: datetime) -> tuple[Any, ...]:
    return (h, item.key, source_id, item.title, item.text, item.link, item.guid, item.author, item.publisher,
            item.language, item.summary_html, item.published, now, item.identity)


def _after_closed_periods(conn: Connection) -> datetime:
    """The earliest time a new match may be found at: just after every closed digest period.

    A clock that ran ahead and was put back would otherwise stamp new matches inside a period already closed
    and sent, where no digest ever shows them.
    """
    latest: datetime | None = conn.execute(select(func.max(digest_periods.c.period_end))).scalar()
    return datetime.min.replace(tzinfo=UTC) if latest is None else latest + timedelta(microseconds=1)


def match_row(item_id: int, match: Match, now: datetime, dated: datetime) -> tuple[Any, ...]:
    """A match as the values of MATCH_INSERT; ``dated``: its item's ``publication_date``."""
    return (item_id, match.entry_id, match.field, match.text, match.start, match.end, match.snippet, match.rule, now,
            dated)


def _source_rows(conn: Connection, names: Collection[str]) -> dict[str, list[Any]]:
    """[id, newest_item_at] of each source named, or StoreError naming one that is unknown."""
    state: dict[str, list[Any]] = {}
    for chunk in batched(sorted(names)):
        query = select(sources.c.name, sources.c.id, sources.c.newest_item_at).where(sources.c.name.in_(chunk))
        state.update((row.name, [row.id, row.newest_item_at]) for row in conn.execute(query))
    for name in names:
        if name not in state:
            raise StoreError(f"unknown source {name!r}", hint="sources come from the watchlist: sync them first")
    return state


def _source_params(record: PollRecord, state: dict[str, list[Any]], new: int, owner: str | None) -> dict[str, Any]:
    """The parameters of the record's UPDATE; carries the source's newest item to a later record of it."""
    row = state[record.source]
    params = {"b_id": row[0], "b_owner": owner, "b_at": record.at, "b_status": record.status,
              "b_failures": record.failures, "b_moved_to": record.moved_to, "b_reason": record.disabled_reason,
              "b_feed_url": record.feed_url, "b_next_due_at": record.next_due_at}
    if record.result == "error":
        return params | {"b_error": record.error}
    if record.result == "not-modified":
        return params
    # A feed dating an item in the future must not make the source look fresh for years.
    newest = max([min(item.published, record.at) for item in record.items] + ([row[1]] if row[1] else []),
                 default=None)
    row[1] = newest
    return params | {"b_etag": record.etag, "b_last_modified": record.last_modified, "b_newest": newest, "b_new": new,
                     "b_feed_title": record.feed_title}
