"""Feeds out: a situation's recent items as an Atom feed or a JSON Feed (1.1), for feed readers.

``watcher feed SITUATION`` writes one; ``watcher run`` with WATCHER_HTTP serves them at ``/feeds/SITUATION.atom`` and
``.json``. A situation's items are the ones its digest section holds (watcher.report.situations.situation_items:
those that mention one of its entries, and those its query selects), found in the window before now, newest first,
at most ``MAX_ITEMS``; each carries its title, link, outlet, publication date, the watched entries it names and a
snippet. feedgen writes the Atom (the only module that imports it); the JSON Feed is plain JSON. A served feed is
also kept under ``MAX_BYTES``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from feedgen.feed import FeedGenerator

from watcher.config import SituationConfig, Watchlist
from watcher.errors import ConfigError
from watcher.models import Period
from watcher.periods import outlet_names
from watcher.report.key_items import query_items
from watcher.report.parts import clean_text, split_marks
from watcher.report.period import PeriodIndex
from watcher.report.situations import situation_items, text_snippet
from watcher.store import Store

Format = Literal["atom", "json"]
WINDOW = timedelta(days=7)
MAX_ITEMS = 100
MAX_BYTES = 1_000_000  # of a served feed: a reader polls it often
TYPES: dict[Format, str] = {"atom": "application/atom+xml; charset=utf-8", "json": "application/feed+json; charset=utf-8"}
JSON_FEED = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of a situation's feed."""

    item_id: int
    title: str
    link: str | None  # http(s) only
    outlet: str
    published: datetime
    entries: tuple[str, ...]  # the names of the watched entries it mentions
    snippet: str | None
    key: bool  # the situation's query selected it


@dataclass(frozen=True, slots=True)
class SituationFeed:
    """A situation's recent items, newest first."""

    situation_id: str
    title: str
    updated: datetime
    items: tuple[FeedItem, ...]


def situation(watchlist: Watchlist, situation_id: str) -> SituationConfig:
    """The situation called ``situation_id``; ConfigError listing the situations otherwise."""
    for s in watchlist.situations:
        if s.id == situation_id:
            return s
    known = ", ".join(s.id for s in watchlist.situations) or "none: add some under `situations:`"
    raise ConfigError(f"no situation with id {situation_id!r} (situations: {known})")


def situation_feed(store: Store, watchlist: Watchlist, situation_id: str, *, now: datetime, window: timedelta = WINDOW,
                   limit: int = MAX_ITEMS) -> SituationFeed:
    """The items of the situation found in the ``window`` before ``now``, as its digest section would hold them."""
    chosen = situation(watchlist, situation_id)
    queries = chosen.query is not None
    start = max(now - window, datetime.min.replace(tzinfo=now.tzinfo))
    index = PeriodIndex(store.mentioned_items(Period(start, now), with_text=queries, unmatched=queries),
                        outlet_names(watchlist, store.feed_titles()))
    covered = {e.id: e for e in watchlist.entries}
    in_order, key = situation_items(chosen, covered, index, query_items(watchlist, [chosen], index).get(chosen.id, ()))
    own = {*chosen.actors, *chosen.terms, chosen.id}
    items = []
    for item_id in in_order[::-1][:max(limit, 0)]:
        facts = index.facts(item_id)
        snippets = index.snippets(item_id, own) or index.snippets(item_id, index.entries[item_id])
        snippet = "".join(text for text, _ in split_marks(snippets[0])) if snippets else text_snippet(index, item_id)
        names = sorted((clean_text(covered[e].name) for e in index.entries[item_id] if e in covered), key=str.casefold)
        items.append(FeedItem(item_id=item_id, title=facts.title, link=facts.link, outlet=facts.outlet,
                              published=facts.published, entries=tuple(names), snippet=snippet, key=item_id in key))
    updated = max((i.published for i in items), default=now)
    return SituationFeed(situation_id=chosen.id, title=clean_text(chosen.title), updated=updated, items=tuple(items))


def render(feed: SituationFeed, fmt: Format, *, self_url: str | None = None) -> bytes:
    """The feed as Atom or JSON Feed bytes."""
    return (render_atom if fmt == "atom" else render_json)(feed, self_url=self_url)


def render_bounded(feed: SituationFeed, fmt: Format, *, self_url: str | None = None, max_bytes: int = MAX_BYTES) -> bytes:
    """The feed within ``max_bytes``: its oldest items left out until it fits."""
    items = feed.items
    while True:
        body = render(SituationFeed(feed.situation_id, feed.title, feed.updated, items), fmt, self_url=self_url)
        if len(body) <= max_bytes or not items:
            return body
        items = items[:min(len(items) - 1, len(items) * max_bytes // len(body))]  # newest first: the oldest go


def _item_id(feed: SituationFeed, item: FeedItem) -> str:
    return f"urn:watcher:{feed.situation_id}:item:{item.item_id}"


def render_atom(feed: SituationFeed, *, self_url: str | None = None) -> bytes:
    """Atom 1.0 (RFC 4287): an entry per item with its outlet as author and each watched entry as a category."""
    fg = FeedGenerator()
    fg.id(f"urn:watcher:situation:{feed.situation_id}")
    fg.title(feed.title or feed.situation_id)
    fg.updated(feed.updated)
    fg.generator("watcher")
    if self_url:
        fg.link(href=self_url, rel="self")
    for item in feed.items:
        entry = fg.add_entry(order="append")
        entry.id(_item_id(feed, item))
        entry.title(item.title)
        if item.link:
            entry.link(href=item.link, rel="alternate")
        entry.published(item.published)
        entry.updated(item.published)
        entry.author(name=item.outlet)
        for name in item.entries:
            entry.category(term=name)
        if item.key:
            entry.category(term="key development")
        if item.snippet:
            entry.summary(item.snippet)
    body: bytes = fg.atom_str(pretty=True)
    return body


def render_json(feed: SituationFeed, *, self_url: str | None = None) -> bytes:
    """JSON Feed 1.1: an item per item, its outlet as author and the watched entries as tags."""
    doc: dict[str, Any] = {"version": JSON_FEED, "title": feed.title or feed.situation_id}
    if self_url:
        doc["feed_url"] = self_url
    doc["items"] = [_json_item(feed, item) for item in feed.items]
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def _json_item(feed: SituationFeed, item: FeedItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": _item_id(feed, item), "title": item.title,
                           "content_text": item.snippet or item.title,
                           "date_published": item.published.isoformat(), "authors": [{"name": item.outlet}],
                           "tags": [*item.entries, *(["key development"] if item.key else [])]}
    if item.link:
        out["url"] = item.link
    return out

