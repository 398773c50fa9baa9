"""The watchlist: schema, loading with line numbers, and durations."""

from watcher.config.loader import default_path, load_watchlist, parse_watchlist
from watcher.config.schema import (
    ActorConfig,
    DigestConfig,
    EntryConfig,
    SituationConfig,
    SourceConfig,
    TermConfig,
    Watchlist,
)

__all__ = [
    "ActorConfig", "DigestConfig", "EntryConfig", "SituationConfig", "SourceConfig", "TermConfig",
    "Watchlist", "default_path", "load_watchlist", "parse_watchlist",
]
