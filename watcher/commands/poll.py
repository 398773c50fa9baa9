"""``watcher poll``: poll now, store, one summary line per source."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from watcher.commands.context import Context, now, progress
from watcher.config import SourceConfig, Watchlist
from watcher.errors import ConfigError
from watcher.fetch import FetchSettings
from watcher.models import PollOutcome
from watcher.poll import Clock, MatcherOnDemand, describe, poll
from watcher.store import Store


def cmd_poll(args: argparse.Namespace, ctx: Context) -> int:
    """Poll the chosen (default: every enabled) source once."""
    watchlist = ctx.watchlist()
    names = set(args.source)
    unknown = names - {s.name for s in watchlist.sources}
    if unknown:
        names_known = [s.name for s in watchlist.sources]
        # A watchlist of a thousand feeds would make this one line unreadable: name a few, say how many.
        known = ", ".join(names_known[:10]) + (f" and {len(names_known) - 10} more" if len(names_known) > 10 else "")
        raise ConfigError(f"no source named {', '.join(sorted(unknown))!r} in {ctx.config_path} (sources: {known}; "
                          "`watcher sources` lists them all)")
    sources = [s for s in watchlist.sources if (s.name in names if names else s.enabled)]
    with ctx.store() as store:
        outcomes = poll_now(watchlist, store, sources, workers=ctx.settings.poll_workers)
    new_items = sum(o.items_new for o in outcomes)
    new_matches = sum(o.matches_new for o in outcomes)
    errors = sum(o.status == "error" for o in outcomes)
    print(f"polled {len(outcomes)} sources: {new_items} new items, {new_matches} new matches, {errors} errors")
    return 0


def poll_now(watchlist: Watchlist, store: Store, sources: Sequence[SourceConfig], *, workers: int | None = None,
             echo: bool = True, clock: Clock = now) -> list[PollOutcome]:
    """Sync the sources into the store and poll ``sources`` once, in worker processes when there are many."""
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=clock())
    return poll(sources, watchlist=watchlist, store=store, matcher=MatcherOnDemand(watchlist.entries),
                settings=FetchSettings.with_agent(watchlist.defaults.user_agent), clock=clock,
                on_outcome=_reporter(len(sources), echo), workers=workers)


def _reporter(total: int, echo: bool) -> Callable[[PollOutcome], None]:
    done = 0

    def report(outcome: PollOutcome) -> None:
        nonlocal done
        done += 1
        progress(done, total, outcome.source)
        if echo:
            print(describe(outcome), flush=True)

    return report
