"""The work of a poll that needs no write: fetch, parse, skip known items, match the new ones.

It runs in the poll's own process or in a worker process (``watcher.poll.workers``), and hands one
``Fetched`` per source to whoever records them: everything the recorder needs, so it asks nothing again.
Reads only: the source's recently stored keys, so a feed with 5 new items of 55 builds 5.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher
from watcher.models import FetchState, Item, Match
from watcher.service.decide import Outcome

if TYPE_CHECKING:
    from watcher.config.schema import EntryConfig
    from watcher.match import Matcher


class ItemMatcher(Protocol):
    """What the poll asks of a matcher."""

    def match(self, item: Item) -> tuple[Match, ...]: ...


class MatcherOnDemand:
    """The watchlist's matcher, compiled the first time an item needs it.

    A poll whose feeds all answer 304 never matches anything, and compiling 500 actors costs more than polling
    a thousand unchanged feeds; forked workers each compile their own, in parallel, when their first new item
    arrives.
    """

    def __init__(self, entries: Sequence[EntryConfig]) -> None:
        self._entries = entries
        self._matcher: Matcher | None = None

    @property
    def compiled(self) -> bool:
        """Whether an item has needed the matcher yet."""
        return self._matcher is not None

    def match(self, item: Item) -> tuple[Match, ...]:
        if self._matcher is None:
            from watcher.match import compile_matcher

            self._matcher = compile_matcher(self._entries)
        return self._matcher.match(item)


# The source's name -> keys and content identities of its items stored lately (a hint: the store still refuses a
# key, or an identity within its source, twice).
KnownKeys = Callable[[str], Collection[str]]


@dataclass(frozen=True, slots=True)
class Job:
    """One source to poll: where, with which validators, in which time zone (for dates without one)."""

    source: str
    url: str
    state: FetchState
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What polling one source found, before anything is stored."""

    source: str
    kind: Literal["document", "not-modified", "error"]
    outcome: Outcome  # what the scheduler decides on
    elapsed: float
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    items_seen: int = 0
    items: tuple[Item, ...] = ()  # the ones not known already
    matches: Mapping[str, tuple[Match, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


async def poll_shard(jobs: Sequence[Job], *, fetcher: Fetcher, matcher: ItemMatcher, known: KnownKeys,
                     emit: Callable[[Fetched], None]) -> None:
    """Poll every job concurrently (the fetcher bounds concurrency) and ``emit`` each as it completes."""

    async def one(job: Job) -> None:
        emit(await poll_one(job, fetcher=fetcher, matcher=matcher, known=known))

    await asyncio.gather(*(one(job) for job in jobs))


async def poll_one(job: Job, *, fetcher: Fetcher, matcher: ItemMatcher, known: KnownKeys) -> Fetched:
    """Fetch, parse and match one source; a WatcherError becomes an ``error`` Fetched, anything else propagates."""
    started = time.perf_counter()
    try:
        result = await fetcher.fetch(job.url, job.state)
    except FetchError as e:
        return Fetched(job.source, "error", Outcome(ok=False, status=e.status, retry_after=e.retry_after),
                       elapsed=time.perf_counter() - started, error=str(e))
    outcome = Outcome(ok=True, status=result.status, cache_control=result.header("cache-control"),
                      expires=result.header("expires"), date=result.header("date"),
                      permanent_redirect=result.permanent_redirect)
    if result.not_modified:
        return Fetched(job.source, "not-modified", outcome,
                       elapsed=time.perf_counter() - started)
    # Imported on the first document, not at start: a poll of unchanged feeds (all 304) starts ~0.07 s sooner.
    from watcher.parse import parse_feed

    try:
        feed = parse_feed(result.content, url=result.final_url, headers=result.headers,
                          fetched_at=result.fetched_at, timezone=job.timezone, skip=known(job.source))
    except ParseError as e:
        return Fetched(job.source, "error", Outcome(ok=False, status=result.status),
                       elapsed=time.perf_counter() - started, error=str(e))
    matches = {item.key: matcher.match(item) for item in feed.items}
    return Fetched(job.source, "document", outcome, elapsed=time.perf_counter() - started, etag=result.etag,
                   last_modified=result.last_modified,
                   items_seen=len(feed.items) + feed.skipped, items=feed.items,
                   matches={k: v for k, v in matches.items() if v}, problems=feed.problems)

