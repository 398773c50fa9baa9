"""``watcher feed SITUATION``: the situation's recent items as an Atom or JSON Feed, on stdout."""

from __future__ import annotations

import argparse
import sys

from watcher.commands.context import Context, now, parse_when
from watcher.errors import ConfigError
from watcher.syndication import render, situation_feed


def cmd_feed(args: argparse.Namespace, ctx: Context) -> int:
    """Write the feed of the situation's items found since ``--since``, at most ``--limit``, newest first."""
    if args.limit < 1:
        raise ConfigError(f"--limit {args.limit}: give 1 or more items")
    watchlist = ctx.watchlist()
    moment = now()
    with ctx.store() as store:
        feed = situation_feed(store, watchlist, args.situation, now=moment,
                              window=moment - parse_when(args.since, now=moment), limit=args.limit)
    sys.stdout.buffer.write(render(feed, args.format))
    sys.stdout.buffer.flush()
    return 0
