"""Command implementations, one module per family; each takes the parsed arguments and a Context."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from watcher.commands.context import Context

_MODULES = {
    "check": "watcher.commands.check", "explain": "watcher.commands.check",
    "poll": "watcher.commands.poll", "scan": "watcher.commands.scan",
    "digest": "watcher.commands.digest", "matches": "watcher.commands.info", "sources": "watcher.commands.info",
    "rematch": "watcher.commands.rematch", "namesakes": "watcher.commands.namesakes",
    "emerging": "watcher.commands.emerging",
    "run": "watcher.commands.run", "db": "watcher.commands.run",
    "demo": "watcher.commands.demo", "status": "watcher.commands.status", "reload": "watcher.commands.status",
    "feed": "watcher.commands.feed", "storylines": "watcher.commands.storylines",
}


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.command``; return the exit code."""
    ctx = Context.from_args(Path(args.config) if args.config else None)
    module = importlib.import_module(_MODULES[args.command])
    return int(getattr(module, f"cmd_{args.command}")(args, ctx))
