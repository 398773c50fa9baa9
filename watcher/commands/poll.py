"""``watcher poll``: poll now, store, one summary line per source."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from watcher.commands.context import Context, now
from watcher.commands.progress import PollReport, exit_code
from watcher.config import SourceConfig, Watchlist
from watcher.errors import ConfigError
from watcher.fetch import FetchSettings
from watcher.models import PollOutcome
from watcher.poll import Clock, MatcherOnDemand, poll
from watcher.store import Store


def cmd_poll(args: argparse.Namespace, ctx: Context) -> int:
    """Poll the chosen (default: every enabled) source once."""
    watchlist = ctx.watchlist(require_sources=True)  # an empty file would make every stored source inactive
    names = set(args.source)
    unknown = names - {s.name for s in watchlist.sources}
    if unknown:
        names_known = [s.name for s in watchlist.sources]
        # A watchlist of a thousand feeds would make this one line unreadable: name a few, say how many.
        known = ", ".join(names_known[:10]) + (f" and {len(names_known) - 10} more" if len(names_known) > 10 else "")
        raise ConfigError(f"no source named {', '.join(sorted(unknown))!r} in {ctx.config_path} (sources: {known}; "
                          "`watcher sources` lists them all)")
    sources = [s for s in watchlist.sources if (s.name in names if names else s.enabled)]
    with ctx.store() as store, PollReport(len(sources)) as report:
        outcomes = poll_now(watchlist, store, sources, workers=ctx.settings.poll_workers, on_outcome=report)
    print(report.summary())
    code, why = exit_code(outcomes)
    if why:
        print(why, file=sys.stderr)
    return code


def poll_now(watchlist: Watchlist, store: Store, sources: Sequence[SourceConfig], *, workers: int | None = None,
             on_outcome: Callable[[PollOutcome], None] | None = None, clock: Clock = now) -> list[PollOutcome]:
    """Sync the sources into the store and poll ``sources`` once, in worker processes when there are many."""
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=clock())
    return poll(sources, watchlist=watchlist, store=store, matcher=MatcherOnDemand(watchlist.entries),
                settings=FetchSettings.with_agent(watchlist.defaults.user_agent), clock=clock,
                on_outcome=on_outcome, workers=workers)
