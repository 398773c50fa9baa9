"""``watcher namesakes [ENTRY]``: the other given names and initials the archive shows with each watched surname.

The matcher already leaves these out (Arsen Babayan is not Samvel Babayan); the command shows the analyst who
shares each surname, how often, and a recent example, with the ``exclude:`` lines that keep the surname alone
from counting in items that name them.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from watcher.commands.context import Context, iso, now, parse_when
from watcher.errors import ConfigError
from watcher.match import compile_matcher, namesake_key
from watcher.models import Period, StoredItem


@dataclass
class _Seen:
    written: Counter[str] = field(default_factory=Counter)  # the other name as written, each with its count
    latest: StoredItem | None = None


def cmd_namesakes(args: argparse.Namespace, ctx: Context) -> int:
    """Per watched person, the namesakes found in items first seen since ``--since``, most frequent first."""
    entries = [e for e in ctx.watchlist().entries if e.kind == "person"]
    if args.entry:
        entries = [e for e in entries if e.id == args.entry]
        if not entries:
            raise ConfigError(f"no person with the id {args.entry!r} in the watchlist", hint="see `watcher check`")
    moment = now()
    since = parse_when(args.since, now=moment)
    matcher = compile_matcher(entries)
    seen: dict[str, dict[str, _Seen]] = {e.id: {} for e in entries}
    with ctx.store() as store:
        stored = store.items_between(Period(since, moment))
    for stored_item in stored:
        item = stored_item.item
        for found in matcher.namesakes(item.title, item.text):
            tally = seen[found.entry_id].setdefault(namesake_key(found.name), _Seen())
            tally.written[found.name] += 1
            if tally.latest is None or item.published >= tally.latest.item.published:
                tally.latest = stored_item
    report = [_entry_report(e.id, e.name, seen[e.id]) for e in entries if seen[e.id] or args.entry]
    if args.json:
        print(json.dumps({"since": iso(since), "items": len(stored), "entries": report}, ensure_ascii=False, indent=2))
        return 0
    for entry in report:
        print(f"{entry['id']} ({entry['name']})")
        for other in entry["namesakes"]:
            print(f"  {other['count']:>5}  {other['name']:<24} {other['example']['link'] or other['example']['title']}")
        if entry["exclude"]:
            print(f"  paste under {entry['id']}:  exclude: {json.dumps(entry['exclude'], ensure_ascii=False)}")
    print(f"{sum(len(e['namesakes']) for e in report)} namesakes of {len(report)} persons in {len(stored)} items"
          f" since {iso(since)}")
    return 0


def _entry_report(entry_id: str, name: str, seen: dict[str, _Seen]) -> dict[str, Any]:
    """One person's namesakes as JSON-ready data, the most frequent first."""
    surname = name.split()[-1]
    others: list[dict[str, Any]] = []
    for tally in sorted(seen.values(), key=lambda t: -sum(t.written.values())):
        written = min(tally.written, key=lambda w: (len(w), -tally.written[w]))  # the uninflected form, mostly
        latest = tally.latest
        assert latest is not None
        others.append({"name": f"{written} {surname}", "count": sum(tally.written.values()),
                       "spellings": dict(tally.written.most_common()),
                       "example": {"title": latest.item.title, "link": latest.item.link,
                                   "published": iso(latest.item.published), "source": latest.source}})
    return {"id": entry_id, "name": name, "namesakes": others, "exclude": [o["name"] for o in others]}
