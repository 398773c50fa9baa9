"""Polling one source as far as it goes without writing: resolve, fetch, parse, enrich, match.

It runs in the poll's own process or in a worker process (``watcher.poll.workers``) and hands one ``Fetched``
per source to the recorder: everything the decider and the store need, so nothing is asked again. It only
reads: the source's recently stored keys, so a feed with 5 new items of 55 builds 5.

    resolve  a site's feed: the one found before, or found again on the site's page when that one broke
             (watcher.sources.discover)
    fetch    a conditional GET with bounded time and size (watcher.fetch)
    parse    items normalised, known ones skipped before they are built (watcher.parse)
    enrich   each new item's article text, for ``fulltext`` sources (watcher.sources.fulltext)
    match    the watchlist, compiled when a first new item needs it (watcher.match)

A ``FetchError`` or ``ParseError`` becomes an ``error`` result for its source (its message stored and shown, so
a feed URL's password is hidden from it); anything else is a bug and propagates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher, Reach
from watcher.models import FetchResult, FetchState, Item, Match, ParsedFeed
from watcher.poll.decider import Outcome
from watcher.redact import redact_text

if TYPE_CHECKING:
    from watcher.config import EntryConfig
    from watcher.match import Matcher

log = logging.getLogger("watcher.poll")
_BROKEN = frozenset({400, 404, 410})  # a site's remembered feed answering these is gone: look for the new one


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
            from watcher.match import compile_matcher  # see the class docstring

            self._matcher = compile_matcher(self._entries)
        return self._matcher.match(item)


# The source's name -> keys and content identities of its items stored lately (a hint: the store still refuses
# a key, or an identity within its source, twice).
KnownKeys = Callable[[str], Collection[str]]


@dataclass(frozen=True, slots=True)
class Job:
    """One source to poll: where, with which validators, in which time zone (for dates without one).

    ``url`` is the feed: its new address after a permanent redirect, or for a ``site`` the feed found on the
    site's page before ("" when none was found yet). ``site`` is the page to find the feed on.
    """

    source: str
    url: str
    state: FetchState = field(default_factory=FetchState)
    timezone: str = "UTC"
    site: str | None = None
    fulltext: bool = False
    reach: Reach = field(default_factory=Reach)  # where links from the feed's content may lead


@dataclass(frozen=True, slots=True)
class Fetched:
    """What polling one source found, before anything is stored."""

    source: str
    kind: Literal["document", "not-modified", "error"]
    outcome: Outcome  # what the decider decides on
    elapsed: float
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    items_seen: int = 0
    items: tuple[Item, ...] = ()  # the ones not known already
    matches: Mapping[str, tuple[Match, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    feed_url: str | None = None  # a site's feed, found (or moved) in this poll: remembered from now on
    feed_title: str | None = None  # the document's title (ParsedFeed.title): the outlet's name in digests


async def poll_jobs(jobs: Sequence[Job], *, fetcher: Fetcher, matcher: ItemMatcher, known: KnownKeys,
                    emit: Callable[[Fetched], None]) -> None:
    """Poll every job concurrently (the fetcher bounds concurrency per host) and ``emit`` each as it completes."""

    async def one(job: Job) -> None:
        emit(await poll_one(job, fetcher=fetcher, matcher=matcher, known=known))

    await asyncio.gather(*(one(job) for job in jobs))


async def poll_one(job: Job, *, fetcher: Fetcher, matcher: ItemMatcher, known: KnownKeys) -> Fetched:
    """Resolve, fetch, parse, enrich and match one source."""
    started = time.perf_counter()
    result: FetchResult | None = None
    feed: ParsedFeed | None = None
    feed_url: str | None = None
    try:
        if job.site is None:
            result = await fetcher.fetch(job.url, job.state)
        else:
            result, feed, feed_url = await _site_feed(job, fetcher, known)
        if not result.not_modified and feed is None:
            feed = _parse(result, job, known)
    except FetchError as e:
        return Fetched(job.source, "error", Outcome(ok=False, status=e.status, retry_after=e.retry_after),
                       elapsed=time.perf_counter() - started, error=redact_text(str(e)))
    except ParseError as e:
        return Fetched(job.source, "error", Outcome(ok=False, status=result.status if result else None),
                       elapsed=time.perf_counter() - started, error=redact_text(str(e)), feed_url=feed_url)
    outcome = Outcome.of(result)
    if feed is None:
        return Fetched(job.source, "not-modified", outcome, elapsed=time.perf_counter() - started, feed_url=feed_url)
    items, problems = feed.items, feed.problems
    if job.fulltext and items:
        from watcher.sources.fulltext import add_fulltext  # only fulltext sources pay for trafilatura

        enriched, refused = await add_fulltext(items, fetcher, reach=job.reach)
        items, problems = tuple(enriched), (*problems, *refused)
    matches = {item.key: found for item in items if (found := matcher.match(item))}
    return Fetched(job.source, "document", outcome, elapsed=time.perf_counter() - started, etag=result.etag,
                   last_modified=result.last_modified, items_seen=len(feed.items) + feed.skipped, items=items,
                   matches=matches, problems=problems, feed_url=feed_url, feed_title=feed.title)


def _parse(result: FetchResult, job: Job, known: KnownKeys) -> ParsedFeed:
    # Imported with the first document, not at start: a poll of unchanged feeds (all 304) starts ~0.07 s sooner.
    from watcher.parse import parse_feed

    return parse_feed(result.content, url=result.final_url, headers=result.headers, fetched_at=result.fetched_at,
                      timezone=job.timezone, skip=known(job.source))


async def _site_feed(job: Job, fetcher: Fetcher, known: KnownKeys) -> tuple[FetchResult, ParsedFeed | None, str | None]:
    """A site's feed fetched (and parsed, unless 304), and its URL when it is new: the remembered feed, or the one
    found again on the site's page when the remembered one is gone or is no feed any more.

    A remembered feed that moved for good is remembered at its new URL; the site itself (the source's URL) did
    not move, so the result carries no permanent redirect for the decider.
    """
    assert job.site is not None
    if job.url:
        try:
            result = await fetcher.fetch(job.url, job.state, reach=job.reach)  # found on the page: the page's choice
            feed = None if result.not_modified else _parse(result, job, known)
            return dataclasses.replace(result, permanent_redirect=None), feed, result.permanent_redirect
        except FetchError as e:
            if e.status not in _BROKEN:
                raise
            log.warning("%s: %s; looking for the site's feed again", job.source, e)
        except ParseError as e:
            log.warning("%s: %s is no feed any more (%s); looking for the site's feed again", job.source, job.url, e)
    from watcher.sources.discover import discover_feed  # only sites pay for the HTML parser

    discovery = await discover_feed(job.site, fetcher, timezone=job.timezone, reach=job.reach)
    if discovery.feed is None or discovery.chosen is None:
        raise FetchError(discovery.summary(), hint="check the site in a browser; `watcher sources discover URL`")
    log.info("%s: polling the feed discovered at %s", job.source, discovery.chosen)
    result = dataclasses.replace(discovery.feed, permanent_redirect=None)
    return result, _parse(result, job, known), discovery.chosen
