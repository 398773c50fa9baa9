"""One source polled on its own: fetch -> parse -> match -> store in one go, with its lease (the service's way,
and the way of sources whose kind needs the store mid-poll: a site's discovered feed, full article text).

A ``WatcherError`` (network, HTTP status, not a feed) is recorded on its source and reported as an
outcome; anything else is a bug and propagates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from watcher.config import SourceConfig, Watchlist
from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher
from watcher.models import PollOutcome
from watcher.poll.record import next_try
from watcher.poll.shard import ItemMatcher
from watcher.service.decide import Decision, Outcome, decide
from watcher.store import Store

log = logging.getLogger("watcher.poll")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


async def poll_source(
    source: SourceConfig, *, watchlist: Watchlist, store: Store, matcher: ItemMatcher, fetcher: Fetcher,
    clock: Clock = utcnow, owner: str | None = None, url: str | None = None,
) -> PollOutcome:
    """Poll one source (at ``url``, default its configured one), record what happened and when it is due next.

    ``owner`` is the lease holder that claimed the source (the service); the lease is released here.
    """
    # Imported when a source is polled on its own (the service, sites, full text), not by every `watcher poll`.
    from watcher.parse import parse_feed
    from watcher.sources.poll import fetch_source, prepare_new_items

    started = time.perf_counter()
    state = store.fetch_state(source.name)
    target = url or source.url
    failures = store.failures_of(source.name)

    def schedule(outcome: Outcome) -> Decision:
        now = clock()
        decision = decide(outcome, failures=failures, interval=watchlist.interval(source), now=now,
                          seed=f"{source.name}|{now.isoformat()}")
        store.reschedule(source.name, owner=owner, next_due_at=decision.next_due_at,
                         disabled_reason=decision.disabled_reason)
        return decision

    try:
        result = await fetch_source(source, target, state, store=store, fetcher=fetcher,
                                    timezone=watchlist.timezone_of(source))
    except FetchError as e:
        decision = schedule(Outcome(ok=False, status=e.status, retry_after=e.retry_after))
        error = f"disabled: {e}" if decision.disabled_reason else str(e)
        store.record_failure(source.name, now=clock(), error=error, status=e.status)
        log.warning("%s: %s%s", source.name, error, next_try(decision))
        return PollOutcome(source.name, "error", http_status=e.status, error=error,
                           elapsed=time.perf_counter() - started)
    freshness = Outcome(ok=True, status=result.status, cache_control=result.header("cache-control"),
                        expires=result.header("expires"), date=result.header("date"),
                        permanent_redirect=result.permanent_redirect)
    if result.not_modified:
        store.record_not_modified(source.name, now=clock())
        schedule(freshness)
        return PollOutcome(source.name, "not-modified", http_status=304, elapsed=time.perf_counter() - started)
    try:
        feed = parse_feed(result.content, url=result.final_url, headers=result.headers,
                          fetched_at=result.fetched_at, timezone=watchlist.timezone_of(source))
    except ParseError as e:
        decision = schedule(Outcome(ok=False, status=result.status))
        store.record_failure(source.name, now=clock(), error=str(e), status=result.status)
        log.warning("%s: %s%s", source.name, e, next_try(decision))
        return PollOutcome(source.name, "error", http_status=result.status, error=str(e),
                           elapsed=time.perf_counter() - started)
    known = store.known_keys([item.key for item in feed.items])
    new_items = [item for item in feed.items if item.key not in known]
    new_items = await prepare_new_items(source, new_items, watchlist=watchlist, store=store, fetcher=fetcher,
                                        now=clock())
    matches = {item.key: matcher.match(item) for item in new_items}
    # Items first, schedule second: a crash between the two re-polls the source, it never loses an item.
    items_new, matches_new = store.record_success(
        source.name, now=clock(), status=result.status, etag=result.etag, last_modified=result.last_modified,
        items=new_items, matches=matches, final_url=result.permanent_redirect,
    )
    schedule(freshness)
    if result.permanent_redirect and result.permanent_redirect != source.url:
        log.warning("%s: moved permanently to %s; polling the new URL, update its url in the watchlist",
                    source.name, result.permanent_redirect)
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
