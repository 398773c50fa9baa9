"""Warnings about a valid watchlist: what it asks for that will never reach a reader, with the line to look at."""

from __future__ import annotations

from pathlib import Path as FsPath

from watcher.config.coverage import unshown_entries
from watcher.config.loader import NO_SOURCES, lacks_sources, line_of, quieter, top_key_line
from watcher.config.rules import Path, dotted
from watcher.config.schema import Watchlist


def watchlist_warnings(watchlist: Watchlist) -> list[tuple[Path, str]]:
    """(key path, message) of each entry that no digest will ever show, and of a watchlist without sources (which
    the service would refuse)."""
    actors = len(watchlist.actors)
    found: list[tuple[Path, str]] = [(("sources",), f"{NO_SOURCES}; `watcher run` and `watcher poll` refuse it")
                                     ] if lacks_sources(watchlist) else []
    return found + [(("actors", i, "id") if i < actors else ("terms", i - actors, "id"), why)
                    for i, why in unshown_entries(watchlist)]


def located(path: FsPath, warnings: list[tuple[Path, str]]) -> list[str]:
    """``FILE:LINE: key.path: message`` for each warning (the file is read again, with lines, only when needed)."""
    if not warnings:
        return []
    text = path.read_text(encoding="utf-8")
    if all(len(loc) == 1 for loc, _ in warnings):  # top-level keys only: no second reading
        return [f"{path}:{top_key_line(text, str(loc[0]))}: {dotted(loc)}: {message}" for loc, message in warnings]
    from ruamel.yaml import YAML  # deferred like the loader's: only a watchlist with warnings pays for it

    data = YAML(typ="rt").load(quieter(text))
    return [f"{path}:{line_of(data, loc)}: {dotted(loc)}: {message}" for loc, message in warnings]
