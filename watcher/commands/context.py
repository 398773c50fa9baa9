"""What every command needs, read once: settings from the environment and the watchlist's path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from watcher.config import default_path
from watcher.config.durations import parse_duration
from watcher.errors import ConfigError
from watcher.logs import setup_logging
from watcher.settings import Settings

if TYPE_CHECKING:
    from watcher.config import Watchlist
    from watcher.store import Store


@dataclass(frozen=True)
class Context:
    """Settings and the watchlist path; the watchlist and the store are opened on demand."""

    settings: Settings
    config_path: Path

    @classmethod
    def from_args(cls, config: Path | None) -> Context:
        settings = Settings.from_env()
        setup_logging(settings.log_level, settings.log_format, settings.secrets)
        return cls(settings, config or default_path())

    def watchlist(self, *, require_sources: bool = False) -> Watchlist:
        """The watchlist; ``require_sources`` for a command that makes its sources the ones in force."""
        from watcher.config import load_watchlist  # deferred: pydantic, for the commands that read the watchlist

        return load_watchlist(self.config_path, require_sources=require_sources)

    def store(self) -> Store:
        from watcher.store import Store  # deferred: SQLAlchemy takes most of a second to import

        return Store.open(self.settings.database_url)


def now() -> datetime:
    return datetime.now(UTC)


def parse_when(text: str, *, now: datetime) -> datetime:
    """``7d`` (ago), ``2026-11-01`` or an ISO time (UTC when it has no zone) as an aware datetime."""
    if re.fullmatch(r"\s*(\d+\s*[smhdw]\s*)+", text.lower()):
        try:
            return now - parse_duration(text)
        except OverflowError:  # further back than the calendar goes: from its beginning
            return datetime.min.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a time: write 7d, 2026-11-01 or 2026-11-01T07:00+04:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def ago(moment: datetime | None, *, now: datetime) -> str:
    """``3h ago``-style text for tables."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


__all__ = ["Context", "ago", "iso", "now", "parse_when"]
