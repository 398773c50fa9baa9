"""``watcher poll``: poll now, store, one summary line per source."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from watcher.commands.context import Context, now, progress
from watcher.config import SourceConfig, Watchlist
from watcher.errors import ConfigError
from watcher.fetch import Fetcher, FetchSettings
from watcher.match import compile_matcher
from watcher.models import PollOutcome
from watcher.poll import Clock, describe, poll_sources
from watcher.store import Store


def cmd_poll(args: argparse.Namespace, ctx: Context) -> int:
    """Poll the chosen (default: every enabled) source once."""
    watchlist = ctx.watchlist()
    names = set(args.source)
    unknown = names - {s.name for s in watchlist.sources}
    if unknown:
        known = ", ".join(s.name for s in watchlist.sources)
        raise ConfigError(f"no source named {', '.join(sorted(unknown))!r} in {ctx.config_path} (sources: {known})")
    sources = [s for s in watchlist.sources if (s.name in names if names else s.enabled)]
    with ctx.store() as store:
        outcomes = asyncio.run(poll_once(watchlist, store, sources))
    new_items = sum(o.items_new for o in outcomes)
    new_matches = sum(o.matches_new for o in outcomes)
    errors = sum(o.status == "error" for o in outcomes)
    print(f"polled {len(outcomes)} sources: {new_items} new items, {new_matches} new matches, {errors} errors")
    return 0


async def poll_once(watchlist: Watchlist, store: Store, sources: Sequence[SourceConfig], *,
                    echo: bool = True, clock: Clock = now) -> list[PollOutcome]:
    """Sync the sources into the store and poll ``sources`` once, printing a line per source."""
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=clock())
    matcher = compile_matcher(watchlist.entries)
    done = 0

    def report(outcome: PollOutcome) -> None:
        nonlocal done
        done += 1
        progress(done, len(sources), outcome.source)
        if echo:
            print(describe(outcome), flush=True)

    settings = FetchSettings(user_agent=watchlist.defaults.user_agent) if watchlist.defaults.user_agent else FetchSettings()
    async with Fetcher(settings) as fetcher:
        return await poll_sources(sources, watchlist=watchlist, store=store, matcher=matcher, fetcher=fetcher,
                                  clock=clock, on_outcome=report)
