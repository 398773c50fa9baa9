"""One feed entry as feed.py reads it, whichever parser read it: raw values, before any normalising.

The lxml fast path fills it directly; feedparser's entry dictionaries are turned into it by
``from_feedparser``, so that only this package ever sees them. What only a stored item needs (texts,
dates) comes from ``details``, asked for only when the entry is not skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

from watcher.parse.text import storable

DATE_FIELDS = ("published", "updated", "created")


class Details(NamedTuple):
    """What an entry holds beyond its key: strings as the parser left them."""

    title: str = ""
    title_language: str | None = None
    body: str = ""  # the longest of content and summary
    body_type: str = "text/html"
    summary: str = ""
    author: str = ""
    date: str = ""  # the first of published, updated and created that is there
    date_parsed: time.struct_time | None = None  # feedparser's reading of ``date``
    read_date: Callable[[str], time.struct_time | None] | None = None  # or a reader for it, called when needed
    publisher: str | None = None  # the outlet an item-level <source> names


class Entry(NamedTuple):
    """What decides an entry's key, and the rest on request (tuples: one is made per item of every poll)."""

    id: str  # the GUID or Atom id
    guidislink: bool  # the link was taken from a permalink GUID
    link: str | None  # the entry's own (first alternate) link, not yet resolved
    details: Callable[[], Details]


def best_body(contents: list[tuple[str, str]], summary: str, summary_type: str | None) -> tuple[str, str]:
    """The longest of content and summary (full text when the feed has it) and its declared type."""
    return max([*contents, (summary, summary_type or "text/html")], key=lambda candidate: len(candidate[0]))


def from_feedparser(entry: Mapping[str, Any]) -> Entry:
    """The Entry of one of feedparser's entry dictionaries.

    Its texts are made storable here: feedparser decodes base64 content (Atom 0.3), which may hold NULs the
    document did not. The fast path needs no such care: lxml refuses any document holding a NUL or a
    surrogate, so none is in what it reads.
    """
    link = _alternate_link(entry)
    return Entry(id=storable(str(entry.get("id") or "")), guidislink=bool(entry.get("guidislink")),
                 link=storable(link) if link else link, details=partial(_details, entry))


def _details(entry: Mapping[str, Any]) -> Details:
    contents = [(c.get("value") or "", c.get("type") or "text/html") for c in entry.get("content") or []]
    detail = entry.get("summary_detail")
    summary = entry.get("summary") or ""
    body, body_type = best_body(contents, summary, detail.get("type") if isinstance(detail, Mapping) else None)
    date, parsed = "", None
    for name in DATE_FIELDS:
        if entry.get(name):
            date, parsed = entry[name], entry.get(f"{name}_parsed")
            break
    title_detail = entry.get("title_detail")
    return Details(title=entry.get("title") or "", body=storable(body), body_type=body_type, summary=storable(summary),
                   title_language=title_detail.get("language") if isinstance(title_detail, Mapping) else None,
                   author=entry.get("author") or "", date=date, date_parsed=parsed, publisher=_publisher(entry))


def _alternate_link(entry: Mapping[str, Any]) -> str | None:
    """The item's own link: the first alternate one (feedparser's ``link`` is the last, and some outlets
    nest `<link>` elements for related stories inside an item)."""
    for link in entry.get("links") or []:
        if isinstance(link, Mapping) and link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    link = entry.get("link")
    return link if isinstance(link, str) else None


def _publisher(entry: Mapping[str, Any]) -> str | None:
    source = entry.get("source")
    # Only an item-level <source url=...> (RSS) or an Atom source with links names the outlet; a <source>
    # nested in an outlet's own extension (a photo credit) does not.
    if not isinstance(source, Mapping) or not (source.get("href") or source.get("links")):
        return None
    title = source.get("title")
    return title if isinstance(title, str) else None
