"""``watcher run`` and ``watcher db upgrade``."""

from __future__ import annotations

import argparse

from watcher.commands.context import Context


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the service in the foreground until SIGTERM or Ctrl-C."""
    from watcher.service.runner import run_service

    run_service(ctx.config_path, ctx.settings)
    return 0


def cmd_db(args: argparse.Namespace, ctx: Context) -> int:
    """Migrate the database to the newest schema (creating it when missing)."""
    from watcher.store.migrate import upgrade

    upgrade(ctx.settings.database_url)
    print(f"database at the newest schema: {ctx.settings.database_url.split('@')[-1]}")
    return 0
