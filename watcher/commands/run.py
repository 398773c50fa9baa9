"""``watcher run`` and ``watcher db upgrade|vacuum|prune``."""

from __future__ import annotations

import argparse
import os

from watcher.commands.context import Context, now
from watcher.redact import redact_url


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the service in the foreground until SIGTERM or Ctrl-C."""
    from watcher.service.clock import clock_from_env
    from watcher.service.runner import run_service

    run_service(ctx.config_path, ctx.settings, clock=clock_from_env(os.environ))
    return 0


def cmd_db(args: argparse.Namespace, ctx: Context) -> int:
    """Migrate the database (creating it when missing), compact it, or prune it by the watchlist's retention."""
    where = redact_url(ctx.settings.database_url)
    if args.action == "upgrade":
        from watcher.store.migrate import upgrade

        upgrade(ctx.settings.database_url)
        print(f"database at the newest schema: {where}")
        return 0
    if args.action == "prune":
        retention = ctx.watchlist().retention
        if retention is None:
            print("the watchlist sets no retention: nothing pruned")
            return 0
        with ctx.store() as store:
            pruned = store.prune_items(before=now() - retention)
        print(f"{pruned} items without matches older than {retention} removed")
        return 0
    with ctx.store() as store:
        before = store.database_size()
        store.vacuum()
        after = store.database_size()
    if before is not None and after is not None:
        print(f"vacuumed {where}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0
