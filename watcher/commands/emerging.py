"""``watcher emerging [--since 1d] [--until ...] [--json]``: names on no list that appear more and more beside watched entries.

The digest's own section, longer: the same ``find_emerging`` over the items published since ``--since``, against
the same history before them (``periods.earlier_leads``). Each name comes with a line to paste into watchlist.yaml.
"""

from __future__ import annotations

import argparse
import json

from watcher.commands.context import Context, iso, now, parse_when
from watcher.models import Period
from watcher.periods import earlier_leads, outlet_names
from watcher.report.emerging import find_emerging, spelled_out


def cmd_emerging(args: argparse.Namespace, ctx: Context) -> int:
    """The emerging names of the items published since ``--since`` (until ``--until``), most items first."""
    watchlist = ctx.watchlist()
    moment = now()
    end = parse_when(args.until, now=moment) if args.until else moment
    period = Period(parse_when(args.since, now=moment), end)
    with ctx.store() as store:
        current = store.leads(period)
        earlier, spans = earlier_leads(store, period)
        outlets = outlet_names(watchlist, store.feed_titles())
    names = find_emerging(current, earlier or [], watchlist, outlets, spans=spans, limit=args.limit)
    if args.json:
        for e in names:
            print(json.dumps({"name": e.name, "spellings": dict(e.spellings), "items": e.items, "outlets": e.outlets,
                              "with": list(e.with_entries), "before": e.before, "growth": e.growth, "key": e.key,
                              "watchlist_yaml": e.watchlist_yaml}, ensure_ascii=False))
        return 0
    for e in names:
        print(f"{e.items:>4} items {e.outlets:>3} outlets  {spelled_out(e)}  (before: {e.before:g} a period; with "
              f"{', '.join(e.with_entries)})")
        print(f"      {e.watchlist_yaml}")
    print(f"{len(names)} emerging names in {len(current)} items since {iso(period.start)}")
    return 0
