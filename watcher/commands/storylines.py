"""``watcher storylines``: the stories of the last two weeks that follow one developing matter, per situation.

The same path as the digest's storylines (watcher.periods.storyline_window, then
watcher.report.situations.section_storylines): stored items published in the window, linked once, read per situation.
Items published in the last day are marked new.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from watcher.commands.context import Context, iso, now, parse_when
from watcher.config import DigestConfig
from watcher.config.coverage import covered_entries, situations_of
from watcher.periods import outlet_names, storyline_window
from watcher.report.key_items import query_items
from watcher.report.render import format_time, plural
from watcher.report.situations import section_storylines, watched_keys
from watcher.syndication import situation

NEW = timedelta(days=1)


def cmd_storylines(args: argparse.Namespace, ctx: Context) -> int:
    """Each situation's storylines in the items published since ``--since``, the most carried first."""
    watchlist = ctx.watchlist()
    moment = now()
    since = parse_when(args.since, now=moment)
    # Every entry and every situation, as a digest that names none of them shows them.
    everything = DigestConfig.model_construct(id="storylines", title="Storylines", schedule="daily", to=(), notify=(),
                                              situations=(), tags=(), other_entries="Other entries")
    covered = covered_entries(everything, watchlist)
    sections = situations_of(everything, watchlist, covered)
    if args.situation:
        sections = [situation(watchlist, args.situation)]
    zone = ZoneInfo(watchlist.defaults.timezone)
    with ctx.store() as store:
        window = storyline_window(store, end=moment, queries=any(s.query for s in sections), span=moment - since,
                                  outlets=outlet_names(watchlist, store.feed_titles()))
    fresh = {i for i, item in window.items.items() if item.published > moment - NEW}
    found = section_storylines(sections, covered, window, lambda ids: query_items(watchlist, sections, window, ids),
                               now=moment, zone=zone, new=fresh, span=moment - since, names=watched_keys(covered))
    if args.json:
        for section in sections:
            for line in found[section.id]:
                print(json.dumps({"situation": section.id, **asdict(line)}, ensure_ascii=False, default=_iso))
        return 0
    for section in sections:
        if not found[section.id]:
            continue
        print(f"{section.title} ({section.id})")
        for line in found[section.id]:
            first = format_time(line.first_seen, zone, year=True).rsplit(" ", 2)[0]
            print(f"  {line.title}\n    day {line.days}: first reported {first} by {line.first_outlet}; "
                  f"{plural(len(line.outlets), 'outlet')} in {plural(len(line.languages), 'language')} "
                  f"({', '.join(line.languages)}), {plural(len(line.items), 'item')}, {line.new} new")
            for item in line.items:
                mark = "+" if item.new else " "
                print(f"   {mark} {format_time(item.published, zone)}  {item.outlet}  {item.link or item.title}")
    total = sum(len(lines) for lines in found.values())
    print(f"{plural(total, 'storyline')} in the items published since {iso(since)} ({len(window.items)} items)")
    return 0


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
