"""The poll stage: fetch -> parse -> match -> store for many sources, one source's failure never stopping the rest.

    plan (one read of every source's validators)
      -> shards (watcher.poll.shard: fetch, parse, skip known items, match; in this process or in forked
         workers, watcher.poll.workers)
      -> Recorder (watcher.poll.record: items, matches and fetch state, many sources per transaction)

Sources whose kind needs the store in the middle of a poll (a site's discovered feed, full article text) are
polled one by one (watcher.poll.source), as the service polls each due source.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from watcher.config import SourceConfig, Watchlist
from watcher.fetch import Fetcher, FetchSettings
from watcher.models import FetchState, PollOutcome
from watcher.poll.record import Recorder
from watcher.poll.shard import ItemMatcher, Job, poll_shard
from watcher.poll.source import Clock, describe, poll_source, utcnow
from watcher.poll.workers import Workers, can_fork, split_by_host
from watcher.sources.kinds import discovers
from watcher.store import Store

__all__ = ["Clock", "default_workers", "describe", "poll", "poll_source", "poll_sources", "utcnow", "worker_count"]
SOURCES_PER_WORKER = 100  # below this, forking costs more than it saves


def default_workers() -> int:
    """One worker per core (at most 8): the poll's CPU work is parsing and matching."""
    return max(1, min(8, os.cpu_count() or 1))


def worker_count(jobs: int, *, workers: int | None, store: Store) -> int:
    """How many processes poll ``jobs`` plain sources: this one alone unless there are enough to share out."""
    count = min(workers or default_workers(), jobs // SOURCES_PER_WORKER)
    return count if count >= 2 and can_fork() and store.shareable else 1


@dataclass(frozen=True, slots=True)
class Plan:
    """The sources of one poll: plain feeds as jobs for the shards, the rest to poll one by one."""

    jobs: list[Job]
    alone: list[SourceConfig]
    failures: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store) -> Plan:
        alone = [s for s in sources if discovers(s) or s.fulltext]
        plain = [s for s in sources if not (discovers(s) or s.fulltext)]
        states = store.poll_states([s.name for s in plain])
        jobs = [Job(s.name, s.url, states.get(s.name, (FetchState(), 0))[0], watchlist.timezone_of(s)) for s in plain]
        return cls(jobs, alone, {name: failures for name, (_, failures) in states.items()})


async def poll_sources(
    sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store, matcher: ItemMatcher, fetcher: Fetcher,
    clock: Clock = utcnow, on_outcome: Callable[[PollOutcome], None] | None = None,
) -> list[PollOutcome]:
    """Poll ``sources`` in this process, concurrently (the fetcher bounds concurrency); one outcome per source,
    in order."""
    plan = Plan.of(sources, watchlist=watchlist, store=store)
    recorder, alone = _writers(plan, sources, watchlist, store, matcher, clock, on_outcome)
    await _poll_here(plan, recorder, alone, store=store, matcher=matcher, fetcher=fetcher)
    outcomes = recorder.outcomes | alone.outcomes
    return [outcomes[s.name] for s in sources]


def poll(sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store, matcher: ItemMatcher,
         settings: FetchSettings, clock: Clock = utcnow, on_outcome: Callable[[PollOutcome], None] | None = None,
         workers: int | None = None) -> list[PollOutcome]:
    """Poll ``sources`` once, in up to ``workers`` processes (default: one per core); call with no event loop
    running (workers are forked before one starts)."""
    plan = Plan.of(sources, watchlist=watchlist, store=store)
    recorder, alone = _writers(plan, sources, watchlist, store, matcher, clock, on_outcome)
    count = worker_count(len(plan.jobs), workers=workers, store=store)

    async def here() -> list[str]:
        async with Fetcher(settings) as fetcher:
            await _poll_here(plan, recorder, alone, store=store, matcher=matcher, fetcher=fetcher)
        return []

    async def collect(pool: Workers) -> list[str]:
        if not plan.alone:  # the parent fetches nothing itself: no clients, no CA bundle to load
            lost = await pool.results(recorder.add)
        else:
            async with Fetcher(settings) as fetcher:
                lost, _ = await asyncio.gather(pool.results(recorder.add), alone.run(fetcher))
        recorder.flush()
        return lost

    if count < 2:
        lost = asyncio.run(here())
    else:
        with Workers(split_by_host(plan.jobs, count), matcher=matcher, settings=settings, store=store) as pool:
            lost = asyncio.run(collect(pool))
    # Nothing is recorded for a source whose worker died: it was not its fault, and it is due as before.
    outcomes = recorder.outcomes | alone.outcomes | {
        name: PollOutcome(name, "error", error="not polled: its worker process ended early") for name in lost}
    return [outcomes[s.name] for s in sources]


async def _poll_here(plan: Plan, recorder: Recorder, alone: _Alone, *, store: Store, matcher: ItemMatcher,
                     fetcher: Fetcher) -> None:
    """Every source of ``plan`` polled in this process, each recorded."""
    await asyncio.gather(poll_shard(plan.jobs, fetcher=fetcher, matcher=matcher, known=store.recent_keys,
                                    emit=recorder.add), alone.run(fetcher))
    recorder.flush()


def _writers(plan: Plan, sources: Sequence[SourceConfig], watchlist: Watchlist, store: Store, matcher: ItemMatcher,
             clock: Clock, on_outcome: Callable[[PollOutcome], None] | None) -> tuple[Recorder, _Alone]:
    """What records a poll's results: the batch recorder for the shards, and the one-by-one sources."""
    recorder = Recorder(store, watchlist=watchlist, sources=sources, failures=plan.failures, clock=clock,
                        on_outcome=on_outcome)
    return recorder, _Alone(plan.alone, watchlist=watchlist, store=store, matcher=matcher, clock=clock,
                            on_outcome=on_outcome)


class _Alone:
    """The sources polled one by one, each recorded as it completes."""

    def __init__(self, sources: Sequence[SourceConfig], *, watchlist: Watchlist, store: Store, matcher: ItemMatcher,
                 clock: Clock, on_outcome: Callable[[PollOutcome], None] | None) -> None:
        self._sources = sources
        self._watchlist = watchlist
        self._store = store
        self._matcher = matcher
        self._clock = clock
        self._on_outcome = on_outcome
        self.outcomes: dict[str, PollOutcome] = {}

    async def run(self, fetcher: Fetcher) -> None:
        async def one(source: SourceConfig) -> None:
            outcome = await poll_source(source, watchlist=self._watchlist, store=self._store, matcher=self._matcher,
                                        fetcher=fetcher, clock=self._clock)
            self.outcomes[source.name] = outcome
            if self._on_outcome is not None:
                self._on_outcome(outcome)

        await asyncio.gather(*(one(s) for s in self._sources))
