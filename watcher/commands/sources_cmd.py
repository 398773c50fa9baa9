"""``watcher sources discover URL``, ``sources import FILE.opml``, ``sources export``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from watcher.commands.context import Context
from watcher.config import Watchlist
from watcher.errors import ConfigError, StoreError, WatcherError

if TYPE_CHECKING:
    pass

def cmd_sources_action(args: argparse.Namespace, ctx: Context) -> int:
    """Run ``watcher sources ACTION [TARGET]``."""
    if args.action in ("discover", "import") and not args.target:
        raise ConfigError(f"`watcher sources {args.action}` needs a {'URL' if args.action == 'discover' else 'FILE'}")
    if args.action == "discover":
        return _discover(args.target, _watchlist_or_none(ctx))
    if args.action == "import":
        return _import(Path(args.target), _watchlist_or_none(ctx))
    return _export(ctx)


def _discover(url: str, watchlist: Watchlist | None) -> int:
    from watcher.fetch import Fetcher, FetchSettings, Reach
    from watcher.sources.discover import Discovery, discover_feed

    settings = FetchSettings.with_agent(watchlist.defaults.user_agent if watchlist else None)
    # The page's links reach what the poll of the same site would reach: a source of the watchlist with this URL
    # and allow_private_links may follow them into private addresses, as its polls do.
    wanted = url.rstrip("/")
    allowed = watchlist is not None and any(
        s.allow_private_links and wanted in {(s.site or "").rstrip("/"), s.url.rstrip("/")} for s in watchlist.sources)

    async def run() -> Discovery:
        async with Fetcher(settings, clients=1) as fetcher:
            return await discover_feed(url, fetcher, try_all=True, reach=Reach(trusted=url, allow_private=allowed))

    discovery = asyncio.run(run())
    for c in discovery.candidates:
        found = f"{c.items} items" if c.items is not None else f"no feed: {c.error}"
        title = f" ({c.title})" if c.title else ""
        print(f"{c.how:<5} {c.url}{title}: {found}")
    if discovery.chosen is None:
        print(discovery.summary(), file=sys.stderr)
        return 1
    print(f"feed: {discovery.chosen}")
    return 0


def _import(path: Path, watchlist: Watchlist | None) -> int:
    from watcher.sources.opml import parse_opml, yaml_entries

    try:
        content = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    feeds = parse_opml(content)
    existing = [s.url for s in watchlist.sources] if watchlist else []
    entries = yaml_entries(feeds, existing)
    skipped = len(feeds) - entries.count("  - name: ")
    print(f"# {len(feeds)} feeds in {path.name}" + (f", {skipped} already in the watchlist" if skipped else "")
          + ": paste under sources:")
    print(entries, end="")
    return 0


def _export(ctx: Context) -> int:
    from watcher.sources.opml import OpmlFeed, to_opml

    watchlist = ctx.watchlist()
    discovered: dict[str, str | None] = {}
    try:
        with ctx.store() as store:
            discovered = {s.name: store.feed_url_of(s.name) for s in watchlist.sources if s.site}
    except StoreError:  # no database yet: a site is exported by its homepage
        pass
    feeds = [OpmlFeed(name=s.name, url=discovered.get(s.name) or s.url, site=s.site, tags=s.tags)
             for s in watchlist.sources]
    sys.stdout.write(to_opml(feeds))
    return 0


def _watchlist_or_none(ctx: Context) -> Watchlist | None:
    try:
        return ctx.watchlist()
    except WatcherError:
        return None
