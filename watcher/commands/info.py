"""``watcher matches`` and ``watcher sources``: what is stored, for people and for scripts."""

from __future__ import annotations

import argparse
import json

from watcher.commands.context import Context, ago, iso, now, parse_when
from watcher.models import SourceHealth


def cmd_matches(args: argparse.Namespace, ctx: Context) -> int:
    """Stored matches since a time, newest last."""
    moment = now()
    since = parse_when(args.since, now=moment)
    with ctx.store() as store:
        found = store.matches_since(since, entry_ids=set(args.watch) or None)
    for stored in found:
        item, match = stored.stored_item.item, stored.match
        if args.json:
            print(json.dumps({
                "id": match.entry_id, "text": match.text, "field": match.field, "snippet": match.snippet,
                "rule": match.rule, "found_at": iso(stored.found_at), "source": stored.stored_item.source,
                "title": item.title, "link": item.link, "published": iso(item.published),
            }, ensure_ascii=False))
        else:
            print(f"{iso(stored.found_at)}  {match.entry_id:<16} {stored.stored_item.source}: {item.title}\n"
                  f"    {match.snippet}")
    if not args.json:
        print(f"{len(found)} matches since {iso(since)}")
    return 0


def cmd_sources(args: argparse.Namespace, ctx: Context) -> int:
    """Each source's health."""
    moment = now()
    with ctx.store() as store:
        health = store.source_health()
    if args.json:
        for h in health:
            print(json.dumps({
                "name": h.name, "url": h.url, "active": h.active, "status": state_of(h),
                "last_status": h.last_status, "last_error": h.last_error, "last_attempt": iso(h.last_attempt_at),
                "last_success": iso(h.last_success_at), "consecutive_failures": h.consecutive_failures,
                "items": h.total_items, "newest_item": iso(h.newest_item_at),
            }, ensure_ascii=False))
        return 0
    if not health:
        print("no source polled yet: run `watcher poll`")
    for h in health:
        print(f"{h.name:<32} {state_of(h):<9} last {h.last_status or '-'} {ago(h.last_attempt_at, now=moment):>9}, "
              f"ok {ago(h.last_success_at, now=moment):>9}, {h.total_items} items"
              + (f", {h.consecutive_failures} failures: {h.last_error}" if h.failing else ""))
    return 0


def state_of(health: SourceHealth) -> str:
    """ok, failing, never (not polled yet) or inactive (removed from the watchlist)."""
    if not health.active:
        return "inactive"
    if health.failing:
        return "failing"
    return "ok" if health.last_success_at else "never"
