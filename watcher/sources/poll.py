"""The poll's hooks for the kinds of source: which URL to fetch (a site's discovered feed) and what to do with
new items before matching (one story through a search and a feed stored once; article text for fulltext).

A search item's link is a Google News redirect, never the article's URL, so it cannot share a key with the
same article read from the outlet's own feed. The story is recognised by its title instead (the parser already
cut the `` - Publisher`` suffix): within ``SAME_STORY_WITHIN``, a search item whose title is stored is dropped,
and a feed item whose title came through a search is dropped too. The first route to bring a story wins.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from watcher.config import SourceConfig, Watchlist
from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher
from watcher.models import FetchResult, FetchState, Item
from watcher.sources.discover import as_feed, discover_feed
from watcher.sources.fulltext import FulltextSettings, add_fulltext
from watcher.sources.kinds import discovers
from watcher.store import Store

log = logging.getLogger("watcher.sources")
SAME_STORY_WITHIN = timedelta(days=7)
FULLTEXT = FulltextSettings()
_BROKEN = frozenset({400, 404, 410})  # the remembered feed is gone: look for the new one


async def fetch_source(source: SourceConfig, target: str, state: FetchState, *, store: Store,
                       fetcher: Fetcher, timezone: str = "UTC") -> FetchResult:
    """Fetch ``target``; for a site, its remembered feed, rediscovered when gone or turned into a web page."""
    if not discovers(source):
        return await fetcher.fetch(target, state)
    remembered = store.feed_url_of(source.name)
    if remembered:
        try:
            result = await fetcher.fetch(remembered, state)
            if result.not_modified or _is_feed(result, timezone):
                return _settled(source, result, store)
            log.warning("%s: %s is no feed any more; looking for the site's feed again", source.name, remembered)
        except FetchError as e:
            if e.status not in _BROKEN:
                raise
            log.warning("%s: %s; looking for the site's feed again", source.name, e)
    discovery = await discover_feed(source.url, fetcher, timezone=timezone)
    if discovery.feed is None or discovery.chosen is None:
        raise FetchError(discovery.summary(), hint="check the site in a browser; `watcher sources discover URL`")
    store.remember_feed_url(source.name, discovery.chosen)
    log.info("%s: polling the feed discovered at %s", source.name, discovery.chosen)
    return _settled(source, discovery.feed, store)


def _settled(source: SourceConfig, result: FetchResult, store: Store) -> FetchResult:
    # A site's feed that moved for good is remembered here; the source's own URL (its homepage) did not move.
    if result.permanent_redirect:
        store.remember_feed_url(source.name, result.permanent_redirect)
        return dataclasses.replace(result, permanent_redirect=None)
    return result


def _is_feed(result: FetchResult, timezone: str) -> bool:
    try:
        as_feed(result, timezone=timezone)
    except ParseError:
        return False
    return True


async def prepare_new_items(source: SourceConfig, items: Sequence[Item], *, watchlist: Watchlist, store: Store,
                            fetcher: Fetcher, now: datetime,
                            fulltext: FulltextSettings = FULLTEXT) -> list[Item]:
    """New items as they should be matched and stored: stories already stored via another route dropped,
    article text added for ``fulltext`` sources."""
    kept = list(items)
    if kept:
        searches = [s.name for s in watchlist.sources if s.kind == "search"]
        only_from = None if source.kind == "search" else searches
        seen = store.titles_seen([item.title for item in kept], since=now - SAME_STORY_WITHIN, sources=only_from)
        if seen:
            log.info("%s: %d stories already stored through another source", source.name, len(seen))
            kept = [item for item in kept if item.title not in seen]
    if source.fulltext and kept:
        kept = await add_fulltext(kept, fetcher, fulltext)
    return kept
