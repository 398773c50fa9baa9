"""``watcher rematch``: run the current watchlist over stored items and show what an edit changes."""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict

from watcher.commands.context import Context, iso, now, parse_when
from watcher.match import compile_matcher
from watcher.models import Match, Period


def _key(match: Match) -> tuple[str, str, int]:
    return (match.entry_id, match.field, match.start)


def cmd_rematch(args: argparse.Namespace, ctx: Context) -> int:
    """Show matches gained and lost per entry for items first seen since ``--since``; store them with --apply."""
    moment = now()
    since = parse_when(args.since, now=moment)
    # --apply stores what the watchlist now finds: a truncated file (no sources, no entries) would drop every
    # stored match of the period, so it is refused as `run` and `poll` refuse it.
    matcher = compile_matcher(ctx.watchlist(require_sources=args.apply).entries)
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    with ctx.store() as store:
        # A match is found when its item is first stored, so these are all the matches of these items.
        old: dict[int, list[Match]] = defaultdict(list)
        for stored in store.matches_since(since):
            old[stored.stored_item.id].append(stored.match)
        changed = 0
        for stored_item in store.items_between(Period(since, moment)):
            new = matcher.match(stored_item.item)
            before = {_key(m): m for m in old.get(stored_item.id, [])}
            after = {_key(m): m for m in new}
            if before.keys() == after.keys():
                continue
            changed += 1
            for key in after.keys() - before.keys():
                gained[key[0]] += 1
                examples[f"+ {key[0]}"].append(after[key].snippet)
            for key in before.keys() - after.keys():
                lost[key[0]] += 1
                examples[f"- {key[0]}"].append(before[key].snippet)
            if args.apply:
                store.replace_matches(stored_item.id, new, now=moment)
    for entry in sorted(gained.keys() | lost.keys()):
        print(f"{entry:<24} +{gained[entry]} -{lost[entry]}")
        for sign in "+-":
            for snippet in examples.get(f"{sign} {entry}", [])[:3]:
                print(f"    {sign} {snippet}")
    verb = "changed and stored" if args.apply else "would change (run with --apply to store)"
    print(f"{changed} items since {iso(since)} {verb}: +{sum(gained.values())} -{sum(lost.values())} matches")
    return 0
