"""The parts every digest section is made of: items as a digest shows them, problem sources, safe text.

Pure helpers shared by the entry sections (digest.py) and the situation sections (situations.py).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from watcher.models import Mention, MentionedItem, SourceHealth
from watcher.sources.health import Assessment

MAX_SNIPPETS_PER_ITEM = 2

_MARK = re.compile(r"\[\[(.+?)\]\]", re.DOTALL)
_SAFE_LINK = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
_UNSAFE_IN_LINK = re.compile(r"[\s\x00-\x1f]")  # \s is exactly str.isspace(); one C scan instead of a loop
_MAX_ERROR = 300
Problem = Literal["failing", "stale", "quiet"]


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One news item as a digest shows it under one entry."""

    item_id: int
    title: str
    outlet: str  # the publisher when the source is a news search, else the source's name
    source: str
    published: datetime
    link: str | None  # http(s) only; anything else is dropped here
    snippets: tuple[str, ...]  # about 25 words each, every watched name marked as [[name]]
    language: str | None = None
    note: str | None = None  # what the watchlist says of the outlet (state media of a country, opposition...)


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A source the reader should know about: failing to fetch, silent for long, or quiet against its habit."""

    name: str
    url: str
    problem: Problem
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success_at: datetime | None = None
    newest_item_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outlets:
    """How a digest names the outlet of a source's items: ``names`` (the watchlist's display name, else the
    feed's own title) and ``notes`` (country or affiliation), both by source name."""

    names: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)

    def name(self, publisher: str | None, source: str) -> str:
        """The publisher of a news search's item, else the source's display name, else its name in the watchlist."""
        return clean_text(publisher or "") or clean_text(self.names.get(source, "")) or clean_text(source)

    def note(self, publisher: str | None, source: str) -> str | None:
        """The note on the source, for its own items (a search's items are the publisher's, which it says nothing of)."""
        return None if publisher else (clean_text(self.notes.get(source, "")) or None)


def item_facts(item: MentionedItem, outlets: Outlets | None = None) -> DigestItem:
    """An item as a digest shows it, without snippets (those depend on whose matches are shown)."""
    outlets = outlets or Outlets()
    return DigestItem(
        item_id=item.id,
        title=clean_text(item.title) or "(no title)",
        outlet=outlets.name(item.publisher, item.source),
        source=clean_text(item.source),
        published=item.published,
        link=safe_link(item.link),
        snippets=(),
        language=item.language,
        note=outlets.note(item.publisher, item.source),
    )


def item_snippets(mentions: Iterable[Mention], also: Iterable[Mention] = ()) -> tuple[str, ...]:
    """The best snippets of one item's mentions: text snippets first, else one of the title's.

    Every watched name a snippet shows is marked, not only the one it was cut around: the hits of ``also`` (the
    item's other mentions) are marked wherever they occur in it.
    """
    ordered = sorted(mentions, key=lambda m: (m.field != "text", m.start, m.match_id))
    text = _unique(clean_text(m.snippet) for m in ordered if m.field == "text")
    title = _unique(clean_text(m.snippet) for m in ordered if m.field == "title")
    # A text snippet says more than the title shown above it; the title's is the fallback that still shows the hit.
    snippets = [s for s in text[:MAX_SNIPPETS_PER_ITEM] or title[:1] if s]
    hits = {hit for m in (*ordered, *also) for hit, marked in split_marks(clean_text(m.snippet)) if marked}
    return tuple(mark_names(s, hits) for s in snippets)


def mark_names(snippet: str, names: Iterable[str]) -> str:
    """``snippet`` with every whole-word occurrence of ``names`` outside its marks marked as ``[[name]]``."""
    parts = split_marks(snippet)
    # Most snippets show one name, already marked: only names that occur outside the marks need the pattern.
    wanted = tuple(sorted({n for n in names if n.strip() and any(n in text for text, hit in parts if not hit)},
                          key=lambda n: (-len(n), n)))  # the longer name wins an overlap
    if not wanted:
        return snippet
    pattern = _names_pattern(wanted)
    return "".join(f"[[{text}]]" if hit else pattern.sub(lambda m: f"[[{m.group(0)}]]", text) for text, hit in parts)


@functools.lru_cache(maxsize=1024)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")


def source_problems(sources: Sequence[Assessment], *, items_per_period: Mapping[str, Sequence[int]] | None = None,
                    regular: Callable[[Sequence[int]], bool] | None = None) -> tuple[SourceProblem, ...]:
    """Active sources that fail (or were disabled), whose feed went stale, or that went quiet.

    States and staleness are watcher.sources.health's, the one rule for every view of a source. A digest is
    about what sources bring, so a source merely not polled lately (``overdue``) is left to `watcher status`.
    ``items_per_period`` gives each source's new items per period, oldest first, the last being the digest's
    own: a source that ``regular`` finds regular before and that brought nothing now has gone quiet.
    """
    failing: list[SourceProblem] = []
    stale: list[SourceProblem] = []
    quiet: list[SourceProblem] = []
    counts = items_per_period or {}
    for a in sources:
        s = a.health
        if not s.active:
            continue
        series = counts.get(s.name, ())
        if a.state in ("failing", "disabled"):
            failing.append(_problem(s, "failing"))
        elif a.staleness is not None:
            stale.append(_problem(s, "stale"))
        elif regular is not None and len(series) > 1 and series[-1] == 0 and regular(series[:-1]):
            quiet.append(_problem(s, "quiet"))
    failing.sort(key=lambda p: (-p.consecutive_failures, p.name.casefold()))
    epoch = datetime.min.replace(tzinfo=UTC)
    stale.sort(key=lambda p: (p.newest_item_at or p.last_success_at or epoch, p.name.casefold()))
    quiet.sort(key=lambda p: p.name.casefold())
    return tuple(failing + stale + quiet)


def _problem(s: SourceHealth, problem: Problem) -> SourceProblem:
    error = clean_text(s.last_error or "") or None
    if error and len(error) > _MAX_ERROR:
        error = error[:_MAX_ERROR - 1].rstrip() + "…"
    return SourceProblem(name=clean_text(s.name), url=s.url, problem=problem,
                         consecutive_failures=s.consecutive_failures, last_error=error,
                         last_success_at=s.last_success_at, newest_item_at=s.newest_item_at)


def clean_text(text: str) -> str:
    """One line of text: control and separator characters become spaces, runs of whitespace collapse."""
    if text.isprintable():  # no control, separator or format (bidi) characters: the common case, fast
        return " ".join(text.split())
    out = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} or c in _BIDI else c for c in text)
    return " ".join(out.split())


# Bidi overrides and isolates can disguise text in subjects and headings; nothing in a headline needs them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL without whitespace, else None."""
    if not url:
        return None
    url = url.strip()
    return url if _SAFE_LINK.match(url) and not _UNSAFE_IN_LINK.search(url) else None


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


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
