"""Frozen values handed from one pipeline stage to the next.

schedule -> (SourceState) -> fetch (FetchResult) -> parse (ParsedFeed of Items) -> match (Matches)
-> store (PollRecord in; StoredMatch, SourceHealth, Delivery out) -> report (Digest) -> mail.

Stages never pass ORM rows, feedparser dicts or httpx objects to each other: only these.
Every datetime here is timezone-aware UTC.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, TypeVar

EntryKind = Literal["person", "organization", "place", "term"]
Field = Literal["title", "text"]


T = TypeVar("T")


def _pickled_by_position(cls: type[T]) -> type[T]:
    """Pickle ``cls`` as its constructor called with its field values in order.

    A slotted dataclass's own pickling looks its fields up again for every object, which costs more than the
    object itself; a poll's workers send the parent some 50,000 Items, so this halves that traffic's CPU.
    """
    values: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: T) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@dataclass(frozen=True, slots=True)
class FetchState:
    """What a conditional GET needs to remember about a source between polls."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the next poll of a source starts from, as the last one left it."""

    fetch: FetchState = FetchState()
    failures: int = 0  # consecutive failed polls
    moved_to: str | None = None  # where a permanent redirect pointed: later polls go there
    feed_url: str | None = None  # a ``site:`` source's feed, found on its page


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP exchange that ended in a document (200) or in 'not modified' (304)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content: bytes  # decompressed body; empty on 304
    headers: tuple[tuple[str, str], ...]  # lower-cased names, in arrival order
    fetched_at: datetime
    elapsed: float  # seconds
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # the new URL when a 301/308 was followed

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Item:
    """One news item, normalised. ``key`` is stable across polls and unique per item."""

    key: str
    title: str
    text: str  # summary/content as plain text, HTML stripped: what the matcher reads
    link: str | None
    published: datetime
    guid: str | None = None
    author: str | None = None
    summary_html: str | None = None  # raw and unsanitised: sanitise where it is shown
    publisher: str | None = None  # the real outlet, for items reached through a news search
    language: str | None = None
    # For an item whose link has parameters: its page (the link without them) and content (title and date, or
    # title and text), so that a feed whose parameters change between polls stores each item once; a second
    # item of one source with the same identity is the same item. None otherwise.
    identity: str | None = None


# Feeds began in 1999 and no news site predates 1995: an earlier date is a placeholder (the epoch, year 1 or 1900).
EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=UTC)


def publication_date(published: datetime, first_seen: datetime) -> datetime:
    """When an item counts as published for history and charts: its date, or when it was first seen when the
    date is later than that (no item is published after it is seen) or absurd (before EARLIEST_PUBLISHED).

    The store applies the same rule in SQL (watcher.store.history.dated).
    """
    return first_seen if published > first_seen or published < EARLIEST_PUBLISHED else published


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document: its items plus what was wrong with it (``problems``, empty when clean)."""

    title: str | None
    link: str | None
    items: tuple[Item, ...]
    problems: tuple[str, ...] = ()
    skipped: int = 0  # items left out because their key was among those asked to be skipped


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Match:
    """One mention of a watch entry in one field of one item."""

    entry_id: str
    field: Field
    text: str  # the exact text that matched, as written in the item
    start: int  # offsets into the field's text
    end: int
    snippet: str  # about 25 words around the hit, the hit marked with [[ ]]
    rule: str = "name"  # how it matched: name, surname, alias, query, ...


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with the source it came from and when it was first seen."""

    id: int
    source: str
    item: Item
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A stored match with its item, as reports read them."""

    id: int
    stored_item: StoredItem
    match: Match
    found_at: datetime


class Mention(NamedTuple):
    """One stored match as a digest reads it: whose mention, where in which item, and its snippet."""

    item_id: int
    entry_id: str
    field: Field
    start: int
    match_id: int  # orders snippets that start at the same offset
    snippet: str


class MentionedItem(NamedTuple):
    """An item with the matches found in one period: what digests count, group and show, without the match rows.

    ``title`` and ``text`` are as stored (raw); ``text`` is read only when asked (situation queries, leads of
    stories), else None; ``published`` is the ``publication_date``. This and
    ``Mention`` are named tuples, immutable like the dataclasses here: a first digest reads 100,000 matches, and
    a tuple is built five times faster than a frozen dataclass.
    """

    id: int
    source: str
    title: str
    link: str | None
    published: datetime
    mentions: tuple[Mention, ...]
    publisher: str | None = None
    language: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's fetch state and health, as ``watcher sources`` and digests show it."""

    name: str
    url: str
    active: bool
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    total_items: int = 0
    newest_item_at: datetime | None = None
    next_due_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    disabled_reason: str | None = None  # set when the server said the feed is gone (410)
    moved_to: str | None = None  # where a permanent redirect pointed

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0

    @property
    def disabled(self) -> bool:
        return self.disabled_reason is not None


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of time (start, end] that one digest covers."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One digest message for one recipient (a mail address, or a channel); sent exactly once, retried while pending."""

    id: int
    digest_id: str
    period: Period
    recipient: str  # a mail address; for a channel, its URL as written ({env:NAME} placeholders unexpanded)
    status: Literal["pending", "sent", "failed"]
    attempts: int
    # mail: the full RFC 5322 message; channel: the digest's short form (watcher.report.short_form), both made once
    # when the period was closed
    message: bytes
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    kind: Literal["mail", "channel"] = "mail"


@dataclass(frozen=True, slots=True)
class ChannelState:
    """One channel of one digest as `watcher status` shows it: its deliveries by status, and why the oldest
    one not sent is held (its attempts, last error and next attempt)."""

    digest_id: str
    channel: str  # the URL as written: placeholders, never secrets
    pending: int
    sent: int
    failed: int
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one source did: the summary line of ``watcher poll``."""

    source: str
    status: Literal["new", "not-modified", "unchanged", "error"]
    http_status: int | None = None
    items_seen: int = 0
    items_new: int = 0
    matches_new: int = 0
    error: str | None = None
    elapsed: float = 0.0
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What one poll of one source writes: its result and the poll's decision about the source, as they are.

    ``result`` is ``document`` (items and matches to store, validators to keep), ``not-modified`` (304) or
    ``error``. The scheduling fields are the decider's: the store writes them, it does not recompute them.
    """

    source: str
    at: datetime
    result: Literal["document", "not-modified", "error"]
    status: int | None
    next_due_at: datetime | None  # None with a disabled_reason: not polled again until an operator acts
    failures: int
    moved_to: str | None = None
    disabled_reason: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    feed_url: str | None = None  # a site's feed, newly found (None: the remembered one stands)
    feed_title: str | None = None  # the document's own title: digests name the outlet by it
    items: tuple[Item, ...] = ()
    matches: Mapping[str, tuple[Match, ...]] = field(default_factory=dict)
