"""``watcher scan TARGET``: fetch or read one feed, print its items and matches, store nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from watcher.commands.context import Context, iso, now
from watcher.errors import ConfigError, ParseError
from watcher.match import compile_matcher
from watcher.models import Item, Match
from watcher.parse import parse_feed


def cmd_scan(args: argparse.Namespace, ctx: Context) -> int:
    """Print every item of one feed with its matches (text, or one JSON object per line)."""
    watchlist = ctx.watchlist()
    target: str = args.target
    if target.startswith(("http://", "https://")):
        from watcher.fetch import FetchSettings, fetch_once

        settings = FetchSettings.with_agent(watchlist.defaults.user_agent)
        result = fetch_once(target, settings=settings)
        content, url, headers, fetched_at = result.content, result.final_url, result.headers, result.fetched_at
    else:
        path = Path(target)
        try:
            content = path.read_bytes()
        except OSError as e:
            raise ConfigError(f"{target}: cannot read: {e.strerror or e}") from None
        url, headers, fetched_at = path.resolve().as_uri(), (), now()
    try:
        feed = parse_feed(content, url=url, headers=headers, fetched_at=fetched_at,
                          timezone=watchlist.defaults.timezone)
    except ParseError as e:
        print(f"{target}: {e}", file=sys.stderr)
        return 1
    for problem in feed.problems:
        print(f"{target}: warning: {problem}", file=sys.stderr)
    if not feed.items and feed.problems:
        print(f"{target}: no items could be salvaged", file=sys.stderr)
        return 1
    matcher = compile_matcher(watchlist.entries)
    matched = 0
    for item in feed.items:
        matches = matcher.match(item)
        matched += bool(matches)
        print(json.dumps(item_json(item, matches), ensure_ascii=False) if args.json else item_text(item, matches))
    print(f"{target}: {len(feed.items)} items, {matched} with matches", file=sys.stderr)
    return 0


def item_json(item: Item, matches: tuple[Match, ...]) -> dict[str, object]:
    """The JSON contract of ``scan --json``: one object per item."""
    return {
        "title": item.title,
        "link": item.link,
        "published": iso(item.published),
        "matches": [{"id": m.entry_id, "text": m.text, "field": m.field, "snippet": m.snippet,
                     "start": m.start, "end": m.end, "rule": m.rule} for m in matches],
    }


def item_text(item: Item, matches: tuple[Match, ...]) -> str:
    lines = [f"{iso(item.published)}  {item.title}", f"    {item.link or '(no link)'}"]
    lines += [f"    {m.entry_id} ({m.field}, {m.rule}): {m.snippet}" for m in matches]
    return "\n".join(lines)
