"""One poll of many sources: fetch -> parse -> match -> store, one source's failure never stopping the rest.

    source config --fetch--> FetchResult --parse--> ParsedFeed --(new items only)--match--> Matches
                                                                                  \\--store (one transaction)

A ``WatcherError`` (network, HTTP status, not a feed) is recorded on its source and reported as an
outcome; anything else is a bug and propagates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from watcher.config import SourceConfig, Watchlist
from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher
from watcher.match import Matcher
from watcher.models import PollOutcome
from watcher.parse import parse_feed
from watcher.store import Store

log = logging.getLogger("watcher.poll")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def poll_sources(
    sources: Sequence[SourceConfig],
    *,
    watchlist: Watchlist,
    store: Store,
    matcher: Matcher,
    fetcher: Fetcher,
    clock: Clock = utcnow,
    on_outcome: Callable[[PollOutcome], None] | None = None,
) -> list[PollOutcome]:
    """Poll ``sources`` concurrently (the fetcher bounds concurrency); one outcome per source, in order."""

    async def one(source: SourceConfig) -> PollOutcome:
        outcome = await poll_source(source, watchlist=watchlist, store=store, matcher=matcher,
                                    fetcher=fetcher, clock=clock)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    return list(await asyncio.gather(*(one(s) for s in sources)))


async def poll_source(
    source: SourceConfig, *, watchlist: Watchlist, store: Store, matcher: Matcher, fetcher: Fetcher,
    clock: Clock = utcnow,
) -> PollOutcome:
    """Poll one source and record what happened on it."""
    started = time.perf_counter()
    state = store.fetch_state(source.name)
    try:
        result = await fetcher.fetch(source.url, state)
    except FetchError as e:
        store.record_failure(source.name, now=clock(), error=str(e), status=e.status)
        log.warning("%s: %s", source.name, e)
        return PollOutcome(source.name, "error", http_status=e.status, error=str(e),
                           elapsed=time.perf_counter() - started)
    if result.not_modified:
        store.record_not_modified(source.name, now=clock())
        return PollOutcome(source.name, "not-modified", http_status=304, elapsed=time.perf_counter() - started)
    try:
        feed = parse_feed(result.content, url=result.final_url, headers=result.headers,
                          fetched_at=result.fetched_at, timezone=watchlist.timezone_of(source))
    except ParseError as e:
        store.record_failure(source.name, now=clock(), error=str(e), status=result.status)
        log.warning("%s: %s", source.name, e)
        return PollOutcome(source.name, "error", http_status=result.status, error=str(e),
                           elapsed=time.perf_counter() - started)
    known = store.known_keys([item.key for item in feed.items])
    new_items = [item for item in feed.items if item.key not in known]
    matches = {item.key: matcher.match(item) for item in new_items}
    items_new, matches_new = store.record_success(
        source.name, now=clock(), status=result.status, etag=result.etag, last_modified=result.last_modified,
        items=new_items, matches=matches, final_url=result.permanent_redirect,
    )
    if result.permanent_redirect:
        log.warning("%s: moved permanently to %s; update its url in the watchlist", source.name,
                    result.permanent_redirect)
    return PollOutcome(
        source.name, "new" if items_new else "unchanged", http_status=result.status,
        items_seen=len(feed.items), items_new=items_new, matches_new=matches_new,
        elapsed=time.perf_counter() - started, problems=feed.problems,
    )


def describe(outcome: PollOutcome) -> str:
    """The one-line summary ``watcher poll`` prints for a source."""
    took = f"{outcome.elapsed:.2f}s"
    if outcome.status == "error":
        return f"{outcome.source}: error: {outcome.error} ({took})"
    if outcome.status == "not-modified":
        return f"{outcome.source}: not modified ({took})"
    line = (f"{outcome.source}: {outcome.items_new} new of {outcome.items_seen} items, "
            f"{outcome.matches_new} new matches ({took})")
    if outcome.problems:
        line += f"; feed problems: {outcome.problems[0]}"
    return line
