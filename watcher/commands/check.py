"""``watcher check`` and ``watcher explain``."""

from __future__ import annotations

import argparse
import os

from watcher.commands.context import Context
from watcher.redact import redact_text


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Validate the watchlist, and its channels against the environment without sending; ConfigError (exit 2, one line
    per problem) is printed by the caller. A valid watchlist may still ask for what no reader will see (an entry no
    digest shows): warnings, one a line, exit 0."""
    from watcher.config.warnings import located, watchlist_warnings

    watchlist = ctx.watchlist()
    if any(d.notify for d in watchlist.digests):
        from watcher.channels import check_watchlist  # apprise, for the watchlists that name channels

        check_watchlist(watchlist, ctx.config_path, os.environ)
    warnings = located(ctx.config_path, watchlist_warnings(watchlist))
    for line in warnings:
        print(redact_text(f"warning: {line}", ctx.settings.secrets))
    print(f"{ctx.config_path}: ok: {len(watchlist.sources)} sources, {len(watchlist.actors)} actors, "
          f"{len(watchlist.terms)} terms, {len(watchlist.situations)} situations, {len(watchlist.digests)} digests"
          + (f", {len(warnings)} warning(s)" if warnings else ""))
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
