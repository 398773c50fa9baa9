"""The poll: the one path from sources to stored items, for every caller.

``watcher poll`` polls the enabled sources, the service the sources it claimed, ``watcher demo`` its samples: all
call :func:`run_poll` (or :func:`poll`, the same without an event loop). One source is a batch of one; worker
processes are an option of the same path, used when a batch is large enough to pay for them.

    sources (a batch)
      -> plan      each source's state, read once: validators, failures, moved URL, a site's feed
                   (Store.poll_states) -> a Job per source
      -> steps     per source, writing nothing (watcher.poll.steps), in this process or in forked workers
                   (watcher.poll.workers):
                     resolve (a site's feed, watcher.sources.discover) -> fetch (watcher.fetch)
                     -> parse, known items skipped (watcher.parse) -> enrich (article text for fulltext
                     sources, watcher.sources.fulltext) -> match (watcher.match)
      -> decide    the source's next state: due time, failures, disabled, moved URL (watcher.poll.decider, pure)
      -> record    the one writer: each result with its decision, as decided, many sources per transaction
                   (watcher.poll.record -> Store.record_polls)

After the poll, digests read what it stored (watcher.periods -> watcher.report -> watcher.delivery).
A source that fails (network, HTTP status, not a feed) is recorded on that source and the others go on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from watcher.config import SourceConfig, Watchlist
from watcher.config.feed_urls import discovers
from watcher.fetch import Fetcher, FetchSettings, Reach
from watcher.models import FetchState, PollOutcome, SourceState
from watcher.poll.record import Recorder
from watcher.poll.steps import ItemMatcher, Job, MatcherOnDemand, poll_jobs
from watcher.poll.workers import Workers, can_fork, split_by_host
from watcher.store import Store

__all__ = ["Clock", "ItemMatcher", "MatcherOnDemand", "default_workers", "describe", "job_of", "poll", "run_poll",
           "utcnow", "worker_count"]
SOURCES_PER_WORKER = 100  # below this, forking costs more than it saves
FLUSH_WITHIN = 1.0  # seconds a finished source waits at most for its batch to fill before it is stored
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_workers() -> int:
    """One worker per core (at most 8): the poll's CPU work is parsing and matching."""
    return max(1, min(8, os.cpu_count() or 1))


def worker_count(jobs: int, *, workers: int | None, store: Store) -> int:
    """How many processes poll ``jobs`` sources: this one alone unless there are enough to share out."""
    count = min(workers or default_workers(), jobs // SOURCES_PER_WORKER)
    return count if count >= 2 and can_fork() and store.shareable else 1


def job_of(source: SourceConfig, state: SourceState, watchlist: Watchlist) -> Job:
    """What polling ``source`` starts from: its feed's URL (moved, or a site's found feed) and validators."""
    timezone = watchlist.timezone_of(source)
    reach = Reach(trusted=source.url, allow_private=source.allow_private_links)  # the analyst wrote source.url
    if discovers(source):
        found = state.feed_url or ""
        return Job(source.name, found, state.fetch if found else FetchState(), timezone, site=source.url,
                   fulltext=source.fulltext, reach=reach)
    return Job(source.name, state.moved_to or source.url, state.fetch, timezone, fulltext=source.fulltext, reach=reach)


async def run_poll(sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store, matcher: ItemMatcher,
                   settings: FetchSettings, fetcher: Fetcher | None = None, clock: Clock = utcnow,
                   owner: str | None = None, workers: int | None = None,
                   on_outcome: Callable[[PollOutcome], None] | None = None) -> list[PollOutcome]:
    """Poll ``sources`` once and record each; one outcome per source, in order.

    ``fetcher``: a client to reuse when the batch is polled in this process (the service's); else one is opened
    for the poll. ``workers``: at most this many processes (default one per core) when the batch is large.
    ``owner``: the process that leased the sources (the service); the leases are released as each is recorded.
    """
    states = store.poll_states([s.name for s in sources])
    jobs = [job_of(s, states.get(s.name, SourceState()), watchlist) for s in sources]
    recorder = Recorder(store, watchlist=watchlist, sources=sources, states=states, clock=clock, owner=owner,
                        on_outcome=on_outcome)
    count = worker_count(len(jobs), workers=workers, store=store)
    lost: list[str] = []
    async with _flushing(recorder):
        if count >= 2:
            with Workers(split_by_host(jobs, count), matcher=matcher, settings=settings, store=store) as pool:
                lost = await pool.results(recorder.add)
        else:
            async with _client(fetcher, settings) as client:
                await poll_jobs(jobs, fetcher=client, matcher=matcher, known=store.recent_keys, emit=recorder.add)
    recorder.flush()
    # Nothing is recorded for a source whose worker died: it was not its fault, and it is due as before.
    outcomes = recorder.outcomes | {
        name: PollOutcome(name, "error", error="not polled: its worker process ended early") for name in lost}
    return [outcomes[s.name] for s in sources]


def poll(sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store, matcher: ItemMatcher,
         settings: FetchSettings, clock: Clock = utcnow, workers: int | None = None,
         on_outcome: Callable[[PollOutcome], None] | None = None) -> list[PollOutcome]:
    """:func:`run_poll` from code that runs no event loop (``watcher poll``)."""
    return asyncio.run(run_poll(sources, watchlist=watchlist, store=store, matcher=matcher, settings=settings,
                                clock=clock, workers=workers, on_outcome=on_outcome))


@asynccontextmanager
async def _client(fetcher: Fetcher | None, settings: FetchSettings) -> AsyncIterator[Fetcher]:
    if fetcher is not None:
        yield fetcher
        return
    async with Fetcher(settings) as opened:
        yield opened


@asynccontextmanager
async def _flushing(recorder: Recorder) -> AsyncIterator[None]:
    """Store what is pending every ``FLUSH_WITHIN`` seconds: a slow source never holds the others back."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(FLUSH_WITHIN)
            recorder.flush()

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        [ended] = await asyncio.gather(task, return_exceptions=True)
        if isinstance(ended, Exception):  # a bug while storing: it must not pass unnoticed
            raise ended


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
