"""Build a digest over 100,000 stored matches on SQLite; print the time of store queries, build and render.

    python bench/digest_speed.py [--matches 100000] [--days 60] [--repeat 3] [--db PATH]

Times are medians of ``--repeat`` runs, wall clock and CPU (the CPU time is what to compare on a shared machine).
``--stages`` adds the median CPU time of each step of a preview: reading the period's items and the storyline
window (the two weeks before its end), the history aggregates, the key items (situation queries), the storylines
(linked over the window, read per situation), the earlier items' leads (emerging names' history) and the rest
of the build.

Items are spread over ``--days`` days from 20 sources, 200 actors and 20 terms in 5 situations; the
digest is a daily one whose history (12 periods, first mentions, pairings) reaches over all of it. The
"first digest" line is the digest of a store that has sent none: it reports the last day and counts the whole
store as its history. The "whole store" line is a preview whose period covers every stored match (--since 999d).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

from watcher import periods
from watcher.config import DigestConfig, Watchlist, parse_watchlist
from watcher.config.coverage import covered_entries, situations_of
from watcher.models import Item, Match, Period
from watcher.periods import earlier_leads, first_period_start, load_history, outlet_names, preview, storyline_window
from watcher.report import Digest, build_digest, render_html, render_text
from watcher.report.key_items import key_items
from watcher.report.period import PeriodIndex
from watcher.report.situations import section_storylines, watched_keys
from watcher.sources.health import assess_stored
from watcher.store import Store
from watcher.store.migrate import upgrade

END = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
WORDS = ["talks", "border", "treaty", "minister", "meeting", "visit", "statement", "election", "army", "economy", "trade",
         "gas", "corridor"]
# Headlines draw on a few thousand words, a few of them common: a Zipf-like vocabulary of 4,096 made-up words.
WORDS += [f"{a}{b}{c}" for a in ("kar", "ser", "tig", "ash", "van", "lor", "gor", "shu") for b in "aeiouyxz"
          for c in ("an", "ik", "ot", "el", "um", "is", "ar", "en", "ov", "ed", "ul", "ing", "ax", "ep", "ur", "io")]


def watchlist_text(actors: int, terms: int) -> str:
    lines = ["sources:"] + [f"  - {{name: S{n}, url: 'http://127.0.0.1:9/{n}'}}" for n in range(20)]
    lines += ["actors:"] + [f"  - {{id: a{n}, name: Actor Number{n}}}" for n in range(actors)]
    lines += ["terms:"] + [f"  - {{id: t{n}, name: term{n}}}" for n in range(terms)]
    lines += ["situations:"]
    for s in range(5):
        members = ", ".join(f"a{n}" for n in range(s * 40, s * 40 + 40))
        lines.append(f"  - {{id: s{s}, title: Situation {s}, actors: [{members}], terms: [t{s}, t{s + 5}],"
                     f" query: 'election AND (a{s * 40} OR minister)'}}")
    lines += ["digests:", "  - {id: daily, title: Daily, to: [a@example.org], schedule: 'daily 07:00'}"]
    return "\n".join(lines)


def fill(store: Store, matches: int, days: int, rng: random.Random) -> int:
    """Store items with 2-3 matches each, exactly ``matches`` in all, spread evenly over ``days``; return the items."""
    store.sync_sources([(f"S{n}", f"http://127.0.0.1:9/{n}") for n in range(20)], now=END - timedelta(days=days + 1))
    planned: list[list[str]] = []  # each item's entries, drawn first so the total is exactly ``matches``
    stored = 0
    while stored < matches:
        entries = sorted(set(rng.sample([f"a{rng.randrange(200)}" for _ in range(3)] + [f"t{rng.randrange(20)}"],
                                        rng.choice((2, 3)))))[:matches - stored]
        planned.append(entries)
        stored += len(entries)
    slots = days * 24 * 20
    for slot in range(slots):
        hour, source = divmod(slot, 20)
        now = END - timedelta(hours=days * 24 - hour) + timedelta(minutes=1)
        batch: list[Item] = []
        found: dict[str, list[Match]] = {}
        for n in range(slot * len(planned) // slots, (slot + 1) * len(planned) // slots):
            title = " ".join(WORDS[min(int(rng.paretovariate(0.6)) - 1, len(WORDS) - 1)] for _ in range(7))
            key = f"http://s{source}.example/{n}"
            batch.append(Item(key=key, title=title, text=title, link=key, published=now - timedelta(minutes=9)))
            found[key] = [Match(entry_id=e, field="text", text=e, start=i, end=i + 1, snippet=f"x [[{e}]] y")
                          for i, e in enumerate(planned[n])]
        store.record_success(f"S{source}", now=now, status=200, etag=None, last_modified=None, items=batch,
                             matches=found)
    return len(planned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matches", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3, help="runs per digest; medians are printed")
    parser.add_argument("--db", type=Path, help="keep the filled database here (reused when it exists)")
    parser.add_argument("--stages", action="store_true", help="also time each step of a preview (CPU medians)")
    parser.add_argument("--collector", choices=["paused", "running"], default="paused",
                        help="running: leave the cyclic garbage collector on while a digest is built (the plain "
                             "path of periods._collector_paused), to compare")
    args = parser.parse_args()
    if args.collector == "running":
        periods._collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    watchlist = parse_watchlist(watchlist_text(200, 20))
    digest = watchlist.digests[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        url = f"sqlite:///{path.resolve()}"
        filled = path.exists()
        upgrade(url)
        with Store.open(url) as store:
            if not filled:
                started = time.perf_counter()
                items = fill(store, args.matches, args.days, random.Random(5))
                print(f"stored {args.matches} matches in {items} items over {args.days} days "
                      f"({time.perf_counter() - started:.1f}s)")
            cases: list[tuple[str, datetime | None]] = [
                ("daily digest", END - timedelta(days=1)), ("first digest", None),
                ("whole store", END - timedelta(days=999))]
            for label, since in cases:
                runs = [timed(store, watchlist, digest, since) for _ in range(args.repeat)]
                built, chars = runs[-1][0], runs[-1][1]
                stories = sum(len(s.stories) + s.more_stories for s in built.situations)
                lines = sum(len(s.storylines) + s.more_storylines for s in built.situations)
                build_wall, build_cpu = median([r[2] for r in runs]), median([r[3] for r in runs])
                render_wall, render_cpu = median([r[4] for r in runs]), median([r[5] for r in runs])
                print(f"{label}: {built.total_items} items, {stories} stories, {lines} storylines, {chars} chars; "
                      f"median of {args.repeat}: "
                      f"store + build {build_wall:.2f}s ({build_cpu:.2f}s CPU), render {render_wall:.2f}s "
                      f"({render_cpu:.2f}s CPU), total {build_wall + render_wall:.2f}s ({build_cpu + render_cpu:.2f}s CPU)")
                if args.stages:
                    steps = [stages(store, watchlist, digest, since) for _ in range(args.repeat)]
                    print("  CPU by step: " + ", ".join(f"{name} {median(s[name] for s in steps):.3f}s"
                                                        for name in steps[0]))


def timed(store: Store, watchlist: Watchlist, digest: DigestConfig,
          since: datetime | None) -> tuple[Digest, int, float, float, float, float]:
    """One preview and render: the digest, its size, then wall and CPU seconds of store + build and of render."""
    wall, cpu = time.perf_counter(), time.process_time()
    built = preview(store, watchlist, digest, now=END, since=since)
    mid_wall, mid_cpu = time.perf_counter(), time.process_time()
    chars = len(render_text(built)) + len(render_html(built))
    return (built, chars, mid_wall - wall, mid_cpu - cpu, time.perf_counter() - mid_wall, time.process_time() - mid_cpu)


def stages(store: Store, watchlist: Watchlist, digest: DigestConfig, since: datetime | None) -> dict[str, float]:
    """CPU seconds of each step of ``preview`` (the same calls, one by one; no digest was sent, so no ``since`` is a
    first digest)."""
    first = since is None
    period = Period(first_period_start(watchlist, digest, END) if since is None else since, END)
    queries = any(s.query is not None for s in watchlist.situations)
    spent: dict[str, float] = {}
    gc.disable()  # as preview does
    try:
        started = time.process_time()
        outlets = outlet_names(watchlist, store.feed_titles())
        window = storyline_window(store, end=END, queries=queries, outlets=outlets)
        items = [i for i in window.items.values() if i.published > period.start] if first else \
            store.mentioned_items(period, with_text=True, unmatched=queries)
        index = PeriodIndex(items, outlets)
        spent["items"], started = time.process_time() - started, time.process_time()
        history = load_history(store, watchlist, digest, period, index.of_entry.keys())
        spent["history"], started = time.process_time() - started, time.process_time()
        keys = key_items(watchlist, digest, index)
        spent["key items"], started = time.process_time() - started, time.process_time()
        covered = covered_entries(digest, watchlist)
        section_storylines(situations_of(digest, watchlist, covered), covered, window,
                           lambda ids: key_items(watchlist, digest, window, ids), now=END,
                           zone=ZoneInfo(digest.timezone or watchlist.defaults.timezone), new=index.items.keys(),
                           names=watched_keys(covered))
        spent["storylines"], started = time.process_time() - started, time.process_time()
        earlier, spans = earlier_leads(store, period)
        spent["leads"], started = time.process_time() - started, time.process_time()
        build_digest(digest, watchlist, index, assess_stored(store, watchlist, now=END), period, now=END,
                     history=history, key_items=keys, outlets=outlets, earlier=earlier, spans=spans)
        spent["build"] = time.process_time() - started
    finally:
        gc.enable()
    return spent


if __name__ == "__main__":
    main()
