"""``watcher check`` and ``watcher explain``."""

from __future__ import annotations

import argparse

from watcher.commands.context import Context


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Validate the watchlist; ConfigError (exit 2, one line per problem) is printed by the caller."""
    watchlist = ctx.watchlist()
    print(f"{ctx.config_path}: ok: {len(watchlist.sources)} sources, {len(watchlist.actors)} actors, "
          f"{len(watchlist.terms)} terms, {len(watchlist.situations)} situations, {len(watchlist.digests)} digests")
    return 0


def cmd_explain(args: argparse.Namespace, ctx: Context) -> int:
    """Show which entries match a text and why, and near misses."""
    from watcher.match import compile_matcher

    matcher = compile_matcher(ctx.watchlist().entries)
    explanations = matcher.explain(args.text)
    if not explanations:
        print("no entry matches, and no near miss")
    for e in explanations:
        mark = "match" if e.matched else "miss "
        print(f"{mark} {e.entry_id:<24} {e.text!r} at {e.start}-{e.end}: {e.reason}")
    return 0
