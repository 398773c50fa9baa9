"""Items per second of the store: a poll cycle's writes of N feeds x M items, on SQLite and PostgreSQL.

    python bench/store_speed.py [--feeds 1000] [--items 50] [--runs 3] [--postgres URL] [--mode per-feed]

Each run starts from an empty database (a temporary SQLite file; a fresh schema of the PostgreSQL server),
then stores every feed the way the poll does: ``per-feed`` is known_keys then record_success for each feed,
``record-only`` skips known_keys, ``many`` hands all feeds to record_polls in groups of --group. Items carry
~4 KB (--text-chars 1000 of Russian, as text and again as summary); one in ten (--match-every) has a match.
Reported: median and spread of wall time, CPU time of this process (PostgreSQL's server works in its own
processes) and items/s by wall time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from watcher.models import Item, Match, PollRecord
from watcher.store import Store, polls, upgrade
from watcher.store.base import insert_rows_core

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENTENCE = "Пашинян заявил, что переговоры с Азербайджаном продолжаются в прежнем формате. "
Feed = tuple[str, list[Item], dict[str, list[Match]]]


def feeds(count: int, per_feed: int, match_every: int, text_chars: int = 1000) -> list[Feed]:
    """``count`` feeds of ``per_feed`` new items, one item in ``match_every`` with one match.

    Items have ``text_chars`` characters of Russian text, and the same again as summary_html: ~4 KB by default.
    """
    body = (SENTENCE * (text_chars // len(SENTENCE) + 1))[:text_chars]
    hit = Match("pashinyan", "text", "Пашинян", 0, 7, "[[Пашинян]] заявил")
    out: list[Feed] = []
    for n in range(count):
        items = [Item(key=f"https://news{n}.example/2026/03/{i}-article-about-talks", title=f"Заголовок {n} {i}",
                      text=body, link=f"https://news{n}.example/2026/03/{i}-article-about-talks",
                      published=T0 - timedelta(minutes=i), guid=f"urn:{n}:{i}", summary_html=f"<p>{body}</p>",
                      language="ru") for i in range(per_feed)]
        out.append((f"feed{n}", items, {it.key: [hit] for it in items[::match_every]}))
    return out


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A migrated, empty SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        yield url


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A migrated, empty schema of the PostgreSQL at ``base``, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def store_all(store: Store, data: list[Feed], mode: str, group: int) -> int:
    """Store ``data`` as the poll would; the number of new items."""
    now = T0 + timedelta(hours=1)
    if mode == "many":
        total = 0
        for start in range(0, len(data), group):
            results = store.record_polls([
                PollRecord(name, now, "document", 200, next_due_at=None, failures=0, etag=f'"{name}"',
                           items=tuple(items), matches={k: tuple(v) for k, v in matches.items()})
                for name, items, matches in data[start:start + group]])
            total += sum(new for new, _ in results)
        return total
    total = 0
    for name, items, matches in data:
        if mode == "per-feed":
            known = store.known_keys([item.key for item in items])
            items = [item for item in items if item.key not in known]
        new, _ = store.record_success(name, now=now, status=200, etag=f'"{name}"', last_modified=None,
                                      items=items, matches=matches)
        total += new
    return total


def run(database: Callable[[], AbstractContextManager[str]], data: list[Feed], mode: str, group: int) -> tuple[float, float]:
    """(wall, CPU) seconds of storing ``data`` into an empty database."""
    with database() as url, Store.open(url) as store:
        store.sync_sources([(name, f"https://{name}.example/rss") for name, _, _ in data], now=T0)
        wall, cpu = time.perf_counter(), time.process_time()
        stored = store_all(store, data, mode, group)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        expected = sum(len(items) for _, items, _ in data)
        if stored != expected:
            raise SystemExit(f"stored {stored} items of {expected}")
    return wall, cpu


def main() -> None:
    """Run the benchmark and print one line per backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--match-every", type=int, default=10)
    parser.add_argument("--text-chars", type=int, default=1000, help="characters of text (and of summary) per item")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=["per-feed", "record-only", "many"], default="per-feed")
    parser.add_argument("--group", type=int, default=50, help="feeds per record_polls call")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (e.g. postgresql+psycopg://...)")
    parser.add_argument("--insert", choices=["fast", "core"], default="fast",
                        help="core: the plain path of the store's bulk insert (store/base.py), to compare")
    args = parser.parse_args()
    if args.insert == "core":
        polls.insert_rows = insert_rows_core
    data = feeds(args.feeds, args.items, args.match_every, args.text_chars)
    count = args.feeds * args.items
    backends: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [("sqlite", sqlite_url)]
    if args.postgres:
        backends.append(("postgresql", lambda: postgres_url(args.postgres)))
    print(f"{args.feeds} feeds x {args.items} items of {args.text_chars} characters, mode {args.mode}, "
          f"insert {args.insert}, {args.runs} runs")
    for name, maker in backends:
        walls, cpus = zip(*(run(maker, data, args.mode, args.group) for _ in range(args.runs)), strict=True)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"{name:10} wall {wall:6.2f}s ({min(walls):.2f}-{max(walls):.2f})  "
              f"cpu {cpu:6.2f}s ({min(cpus):.2f}-{max(cpus):.2f})  {count / wall:8.0f} items/s")


if __name__ == "__main__":
    main()
