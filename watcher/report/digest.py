"""Build a digest from stored matches: pure data in, a frozen ``Digest`` out (no I/O, time comes in as ``now``).

Rendering lives in ``render.py`` and message composition in ``message.py``; this module only decides
what a digest says, so later sections (trends, new pairings, stories) can be added as new fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from watcher.config.schema import DigestConfig, EntryConfig, Watchlist
from watcher.models import EntryKind, Period, SourceHealth, StoredMatch

JSON_SCHEMA_VERSION = 1
MAX_ITEMS_PER_ENTRY = 20
MAX_SNIPPETS_PER_ITEM = 2
STALE_AFTER = timedelta(days=3)

_MARK = re.compile(r"\[\[(.+?)\]\]", re.DOTALL)
_SAFE_LINK = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
_MAX_ERROR = 300


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One news item as a digest shows it under one entry."""

    item_id: int
    title: str
    outlet: str  # the publisher when the source is a news search, else the source's name
    source: str
    published: datetime
    link: str | None  # http(s) only; anything else is dropped here
    snippets: tuple[str, ...]  # about 25 words each, the hit marked as [[hit]]
    language: str | None = None


@dataclass(frozen=True, slots=True)
class EntrySection:
    """Everything the period brought for one watch entry."""

    entry_id: str
    name: str
    kind: EntryKind
    item_count: int  # distinct items, before the cap
    outlet_count: int  # distinct outlets, before the cap
    items: tuple[DigestItem, ...]  # newest first, at most the cap
    more: int = 0  # items left out by the cap


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A source the reader should know about: failing to fetch, or fetched but silent for long."""

    name: str
    url: str
    problem: Literal["failing", "stale"]
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success_at: datetime | None = None
    newest_item_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest for one period: entry sections (actors first, then terms) and source problems."""

    digest_id: str
    title: str
    timezone: str  # IANA name the renderers show times in; datetimes here stay UTC
    period: Period
    generated_at: datetime
    sections: tuple[EntrySection, ...]
    source_problems: tuple[SourceProblem, ...] = ()
    total_items: int = 0  # distinct items over all sections (an item under two entries counts once)

    @property
    def empty(self) -> bool:
        """True when no covered entry was mentioned in the period."""
        return not self.sections

    @property
    def top(self) -> EntrySection | None:
        """The most mentioned entry (ties: by name), for headlines."""
        if not self.sections:
            return None
        return min(self.sections, key=lambda s: (-s.item_count, s.name.casefold(), s.entry_id))


def build_digest(digest: DigestConfig, watchlist: Watchlist, matches: Sequence[StoredMatch],
                 sources: Sequence[SourceHealth], period: Period, *, now: datetime,
                 max_items: int = MAX_ITEMS_PER_ENTRY, stale_after: timedelta = STALE_AFTER) -> Digest:
    """Group the period's matches of the entries ``digest`` covers into sections; list problem sources."""
    covered = covered_entries(digest, watchlist)
    by_entry: dict[str, list[StoredMatch]] = {}
    for sm in matches:
        # (start, end]: a match found exactly at the previous digest's end was already reported there.
        if sm.match.entry_id in covered and period.start < sm.found_at <= period.end:
            by_entry.setdefault(sm.match.entry_id, []).append(sm)
    sections = [_section(covered[eid], ms, max_items) for eid, ms in by_entry.items()]
    kind_rank = {"person": 0, "organization": 0, "place": 0, "term": 1}
    sections.sort(key=lambda s: (kind_rank[s.kind], -s.item_count, s.name.casefold(), s.entry_id))
    total = len({sm.stored_item.id for ms in by_entry.values() for sm in ms})
    return Digest(
        digest_id=digest.id,
        title=clean_text(digest.title),
        timezone=digest.timezone or watchlist.defaults.timezone,
        period=period,
        generated_at=now,
        sections=tuple(sections),
        source_problems=source_problems(sources, now=now, stale_after=stale_after),
        total_items=total,
    )


def covered_entries(digest: DigestConfig, watchlist: Watchlist) -> dict[str, EntryConfig]:
    """The entries a digest reports on: its situations' actors and terms AND its tags; all when neither is set."""
    entries = {e.id: e for e in watchlist.entries}
    if digest.situations:
        wanted = set(digest.situations)
        ids = {i for s in watchlist.situations if s.id in wanted for i in (*s.actors, *s.terms)}
        entries = {k: v for k, v in entries.items() if k in ids}
    if digest.tags:
        tags = set(digest.tags)
        entries = {k: v for k, v in entries.items() if tags.intersection(v.tags)}
    return entries


def _section(entry: EntryConfig, matches: list[StoredMatch], max_items: int) -> EntrySection:
    by_item: dict[int, list[StoredMatch]] = {}
    for sm in matches:
        by_item.setdefault(sm.stored_item.id, []).append(sm)
    items = sorted((_item(ms) for ms in by_item.values()), key=lambda i: (i.published, i.item_id), reverse=True)
    shown = items[:max(max_items, 0)]
    return EntrySection(
        entry_id=entry.id,
        name=clean_text(entry.name),
        kind=entry.kind,
        item_count=len(items),
        outlet_count=len({i.outlet.casefold() for i in items}),
        items=tuple(shown),
        more=len(items) - len(shown),
    )


def _item(matches: list[StoredMatch]) -> DigestItem:
    stored = matches[0].stored_item
    item = stored.item
    ordered = sorted(matches, key=lambda sm: (sm.match.field != "text", sm.match.start, sm.id))
    text = _unique(clean_text(sm.match.snippet) for sm in ordered if sm.match.field == "text")
    title = _unique(clean_text(sm.match.snippet) for sm in ordered if sm.match.field == "title")
    # A text snippet says more than the title shown above it; the title's is the fallback that still shows the hit.
    snippets = text[:MAX_SNIPPETS_PER_ITEM] or title[:1]
    return DigestItem(
        item_id=stored.id,
        title=clean_text(item.title) or "(no title)",
        outlet=clean_text(item.publisher or "") or clean_text(stored.source),
        source=clean_text(stored.source),
        published=item.published,
        link=safe_link(item.link),
        snippets=tuple(s for s in snippets if s),
        language=item.language,
    )


def source_problems(sources: Sequence[SourceHealth], *, now: datetime,
                    stale_after: timedelta = STALE_AFTER) -> tuple[SourceProblem, ...]:
    """Active sources that fail (consecutive_failures > 0) or whose newest item or last success is too old."""
    failing: list[SourceProblem] = []
    stale: list[SourceProblem] = []
    for s in sources:
        if not s.active:
            continue
        if s.failing:
            failing.append(_problem(s, "failing"))
        elif any(t is not None and now - t > stale_after for t in (s.newest_item_at, s.last_success_at)):
            stale.append(_problem(s, "stale"))
    failing.sort(key=lambda p: (-p.consecutive_failures, p.name.casefold()))
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    stale.sort(key=lambda p: (p.newest_item_at or p.last_success_at or epoch, p.name.casefold()))
    return tuple(failing + stale)


def _problem(s: SourceHealth, problem: Literal["failing", "stale"]) -> SourceProblem:
    error = clean_text(s.last_error or "") or None
    if error and len(error) > _MAX_ERROR:
        error = error[:_MAX_ERROR - 1].rstrip() + "…"
    return SourceProblem(name=clean_text(s.name), url=s.url, problem=problem,
                         consecutive_failures=s.consecutive_failures, last_error=error,
                         last_success_at=s.last_success_at, newest_item_at=s.newest_item_at)


def clean_text(text: str) -> str:
    """One line of text: control and separator characters become spaces, runs of whitespace collapse."""
    out = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} or c in _BIDI else c for c in text)
    return " ".join(out.split())


# Bidi overrides and isolates can disguise text in subjects and headings; nothing in a headline needs them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL without whitespace, else None."""
    if not url:
        return None
    url = url.strip()
    return url if _SAFE_LINK.match(url) and not any(c.isspace() or ord(c) < 32 for c in url) else None


def split_marks(snippet: str) -> list[tuple[str, bool]]:
    """Split a ``[[hit]]``-marked snippet into (text, is_hit) parts, in order, empty parts left out."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _MARK.finditer(snippet):
        parts.append((snippet[pos:m.start()], False))
        parts.append((m.group(1), True))
        pos = m.end()
    parts.append((snippet[pos:], False))
    return [(text, hit) for text, hit in parts if text]


def digest_to_json(d: Digest) -> dict[str, Any]:
    """A JSON-able dict of ``d``: field names as keys, datetimes as ISO 8601 UTC, plus ``schema_version``."""
    out = _jsonable(d)
    assert isinstance(out, dict)
    return {"schema_version": JSON_SCHEMA_VERSION, **out}


def _jsonable(value: object) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
