"""The watchlist: schema, loading with line numbers, and durations.

The names below are imported on first use: validating needs pydantic, whose import costs a tenth of a
second, and commands that never read the watchlist (``watcher db``, ``watcher reload``) import this package
only for :func:`default_path`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.config.loader import load_watchlist, parse_watchlist
    from watcher.config.schema import (
        ActorConfig,
        DigestConfig,
        EntryConfig,
        SituationConfig,
        SourceConfig,
        TermConfig,
        Watchlist,
    )

DEFAULT_PATH = "watchlist.yaml"
_LAZY = {
    "load_watchlist": "watcher.config.loader", "parse_watchlist": "watcher.config.loader",
    **dict.fromkeys(["ActorConfig", "DigestConfig", "EntryConfig", "SituationConfig", "SourceConfig", "TermConfig",
                     "Watchlist"], "watcher.config.schema"),
}


def default_path(env: dict[str, str] | None = None) -> Path:
    """``$WATCHER_CONFIG``, or ``./watchlist.yaml``."""
    env = dict(os.environ) if env is None else env
    return Path(env.get("WATCHER_CONFIG") or DEFAULT_PATH)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_PATH", "ActorConfig", "DigestConfig", "EntryConfig", "SituationConfig", "SourceConfig", "TermConfig",
    "Watchlist", "default_path", "load_watchlist", "parse_watchlist",
]
