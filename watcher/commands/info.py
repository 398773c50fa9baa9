"""``watcher matches`` and ``watcher sources``: what is stored, for people and for scripts."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from watcher.commands.context import Context, ago, iso, now, parse_when
from watcher.config import Watchlist
from watcher.errors import ConfigError


def cmd_matches(args: argparse.Namespace, ctx: Context) -> int:
    """Stored matches since a time, newest last."""
    moment = now()
    since = parse_when(args.since, now=moment)
    with ctx.store() as store:
        found = store.matches_since(since, entry_ids=set(args.watch) or None)
    output = "json" if args.json else args.format
    rows = ({"id": s.match.entry_id, "text": s.match.text, "field": s.match.field, "snippet": s.match.snippet,
             "rule": s.match.rule, "found_at": iso(s.found_at), "source": s.stored_item.source,
             "title": s.stored_item.item.title, "link": s.stored_item.item.link,
             "published": iso(s.stored_item.item.published)} for s in found)
    if output == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif output == "csv":
        # For spreadsheets: a header row, then one row per match, quoted as the csv module's Excel dialect does.
        writer = csv.DictWriter(sys.stdout, fieldnames=MATCH_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:
            print(f"{row['found_at']}  {row['id']:<16} {row['source']}: {row['title']}\n    {row['snippet']}")
        print(f"{len(found)} matches since {iso(since)}")
    return 0


MATCH_FIELDS = ("id", "text", "field", "snippet", "rule", "found_at", "source", "title", "link", "published")


def cmd_sources(args: argparse.Namespace, ctx: Context) -> int:
    """Each source's health, due time, disabled reason and new URL; a warning when the watchlist is not in force."""
    from watcher.commands.sources_cmd import cmd_sources_action
    from watcher.commands.status import ALIVE_WITHIN, watchlist_status
    from watcher.sources.health import assess_stored
    from watcher.store.scheduling import INSTANCE_PREFIX

    if getattr(args, "action", None):
        return cmd_sources_action(args, ctx)
    moment = now()
    with ctx.store() as store:
        for name in args.enable:
            if not store.enable_source(name):
                raise ConfigError(f"no source named {name!r} is stored", hint="see `watcher sources`")
            print(f"{name}: enabled, polled at the service's next tick")
        disk = _disk_watchlist(ctx)
        sources = assess_stored(store, disk, now=moment)
        schedules = store.source_schedules()
        instances = {k: v for k, v in store.get_states(INSTANCE_PREFIX).items() if moment - v[1] <= ALIVE_WITHIN}
    wl = watchlist_status(ctx.config_path, instances)
    if args.json:
        for a in sources:
            h, sc = a.health, schedules.get(a.name)
            print(json.dumps({
                "name": h.name, "url": h.url, "active": h.active, "status": a.state,
                "last_status": h.last_status, "last_error": h.last_error, "last_attempt": iso(h.last_attempt_at),
                "last_success": iso(h.last_success_at), "consecutive_failures": h.consecutive_failures,
                "items": h.total_items, "newest_item": iso(h.newest_item_at),
                "next_due": iso(sc.next_due_at) if sc else None,
                "disabled_reason": sc.disabled_reason if sc else None, "moved_to": sc.moved_to if sc else None,
                "stale": a.staleness.describe() if a.staleness else None,
            }, ensure_ascii=False))
        return 0
    if instances and not wl["in_force"]:
        print(f"warning: {wl['path']} on disk is not the watchlist in force: {wl['why']}")
    if not sources:
        print("no source polled yet: run `watcher poll`")
    for a in sources:
        h, sc = a.health, schedules.get(a.name)
        line = (f"{h.name:<32} {a.state:<9} last {h.last_status or '-'} "
                f"{ago(h.last_attempt_at, now=moment):>9}, ok {ago(h.last_success_at, now=moment):>9}, "
                f"{h.total_items} items")
        if sc and sc.next_due_at and h.active and not sc.disabled_reason:
            line += f", next {iso(sc.next_due_at)}"
        if sc and sc.disabled_reason:
            line += f", disabled: {sc.disabled_reason} (`watcher sources --enable {h.name}`)"
        elif h.failing:
            line += f", {h.consecutive_failures} failures: {h.last_error}"
        if a.staleness:
            line += f", {a.staleness.describe()}"
        if sc and sc.moved_to:
            line += f", moved permanently to {sc.moved_to} (update its url in the watchlist)"
        print(line)
    return 0


def _disk_watchlist(ctx: Context) -> Watchlist | None:
    try:
        return ctx.watchlist()
    except ConfigError:
        return None
