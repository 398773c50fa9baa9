"""A poll of many sources: batched writes and forked workers store exactly what one process polling one source
at a time would, over a real local feed server and a real database (SQLite, and PostgreSQL when configured)."""

# ruff: noqa: F811 (pytest fixtures imported from test_store_fixtures are parameters here)
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_store_fixtures import db_url, empty_url  # noqa: F401 (fixtures)

from watcher.config import Watchlist
from watcher.config.loader import parse_watchlist
from watcher.feedserver import serve_folder
from watcher.fetch import FetchSettings
from watcher.match import compile_matcher
from watcher.models import FetchState, Item, Match, Period, PollOutcome
from watcher.poll import SOURCES_PER_WORKER, poll, worker_count
from watcher.poll.steps import Job, MatcherOnDemand
from watcher.poll.workers import can_fork, split_by_host
from watcher.store import Store, upgrade
from watcher.store.db import make_engine, parse_url

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
FEEDS = 2 * SOURCES_PER_WORKER + 10  # enough for two workers
SETTINGS = FetchSettings(concurrency=16, per_host=16)  # one host serves every feed here
needs_fork = pytest.mark.skipif(not can_fork(), reason="worker processes are forked, on Linux only")


def write_feed(folder: Path, index: int, items: int) -> None:
    """Feed ``index`` with ``items`` items; every third mentions Pashinyan, in English or in Russian."""
    entries = []
    for j in range(items):
        mention = ("Nikol Pashinyan met the mayor" if j % 2 else "Пашиняна встретили в Гюмри") if j % 3 == 0 else ""
        when = format_datetime(NOW - timedelta(hours=items - j))
        entries.append(f"<item><title>Story {index}-{j}</title><link>https://news.example/{index}/{j}</link>"
                       f"<description>{mention} Report number {j} from desk {index}.</description>"
                       f"<pubDate>{when}</pubDate></item>")
    (folder / f"f{index}.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk {index}</title>'
        f"<link>https://news.example/{index}</link>{''.join(entries)}</channel></rss>", encoding="utf-8")


def watchlist_of(base: str) -> Watchlist:
    sources = "".join(f'  - {{name: desk-{i:03d}, url: "{base}/f{i}.xml"}}\n' for i in range(FEEDS))
    return parse_watchlist(f"""\
sources:
{sources}  - {{name: gone, url: "{base}/missing.xml"}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - {{id: daily, title: Daily, to: [analyst@example.org], schedule: "0 7 * * *"}}
""")


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "feeds"
    folder.mkdir()
    for i in range(FEEDS):
        write_feed(folder, i, 6)
    with serve_folder(folder) as base:
        yield folder, base


def poll_all(store: Store, watchlist: Watchlist, workers: int) -> dict[str, PollOutcome]:
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=NOW)
    outcomes = poll(watchlist.sources, watchlist=watchlist, store=store, matcher=compile_matcher(watchlist.entries),
                    settings=SETTINGS, clock=lambda: NOW, workers=workers)
    assert [o.source for o in outcomes] == [s.name for s in watchlist.sources]
    return {o.source: o for o in outcomes}


def stored(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Items, matches and source states, without ids and in a fixed order."""
    period = Period(NOW - timedelta(days=30), NOW + timedelta(days=1))
    items = sorted((i.source, i.item.key, i.item.title, i.item.text) for i in store.items_between(period))
    matches = sorted((m.stored_item.item.key, m.match.entry_id, m.match.field, m.match.start, m.match.text)
                     for m in store.matches_between(period))
    health = sorted((h.name, h.last_status, h.consecutive_failures, h.total_items, h.etag is not None)
                    for h in store.source_health())
    return items, matches, health


def three_polls(url: str, folder: Path, base: str, workers: int) -> list[Any]:
    """Cold, warm (all 304) and after two feeds gained an item: the outcomes and what is stored after each."""
    watchlist = watchlist_of(base)
    seen: list[Any] = []
    with Store.open(url) as store:
        for step in ("cold", "warm", "new"):
            if step == "new":
                write_feed(folder, 3, 7)
                write_feed(folder, FEEDS - 1, 7)
            outcomes = poll_all(store, watchlist, workers)
            seen.append(({n: (o.status, o.http_status, o.items_seen, o.items_new, o.matches_new, o.error)
                          for n, o in outcomes.items()}, stored(store)))
    return seen


@needs_fork
def test_workers_store_what_one_process_stores(db_url: str, feeds: tuple[Path, str], tmp_path: Path) -> None:
    folder, base = feeds
    with Store.open(db_url) as store:
        assert worker_count(FEEDS, workers=2, store=store) == 2
    in_workers = three_polls(db_url, folder, base, workers=2)

    other = tmp_path / "one.db"
    upgrade(f"sqlite:///{other}")
    for i in range(FEEDS):
        write_feed(folder, i, 6)
    in_one = three_polls(f"sqlite:///{other}", folder, base, workers=1)
    assert in_workers == in_one

    cold, warm, new = in_workers
    outcomes, (items, matches, _) = cold
    assert outcomes["gone"][0] == "error" and outcomes["gone"][1] == 404
    assert sum(o[3] for o in outcomes.values()) == len(items) == FEEDS * 6
    assert sum(o[4] for o in outcomes.values()) == len(matches) == FEEDS * 2
    assert {o[0] for n, o in warm[0].items() if n != "gone"} == {"not-modified"}
    assert dict((h[0], h[2]) for h in warm[1][2])["gone"] == 2
    assert {n: o[3] for n, o in new[0].items() if o[3]} == {"desk-003": 1, f"desk-{FEEDS - 1:03d}": 1}


def test_split_by_host_keeps_a_host_together_and_shares_evenly() -> None:
    jobs = [Job(f"s{i}", f"https://host{i % 5}.example/feed{i}", FetchState()) for i in range(50)]
    jobs += [Job(f"big{i}", f"https://BIG.example/{i}", FetchState()) for i in range(30)]
    shares = split_by_host(jobs, 3)
    assert sorted(j.source for share in shares for j in share) == sorted(j.source for j in jobs)
    hosts = [{j.url.split("/")[2].lower() for j in share} for share in shares]
    assert all(not (a & b) for i, a in enumerate(hosts) for b in hosts[i + 1:])
    assert sorted(len(share) for share in shares) == [20, 30, 30]
    assert split_by_host(jobs[:2], 4) == [[jobs[0]], [jobs[1]]]


def test_small_polls_and_memory_databases_stay_in_one_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    with Store.open(url) as store:
        assert worker_count(SOURCES_PER_WORKER * 2 - 1, workers=4, store=store) == 1
        assert worker_count(SOURCES_PER_WORKER * 8, workers=1, store=store) == 1
        if can_fork():
            assert worker_count(SOURCES_PER_WORKER * 8, workers=3, store=store) == 3
    memory = Store(make_engine(parse_url("sqlite://")))
    try:
        assert not memory.shareable
        assert worker_count(SOURCES_PER_WORKER * 8, workers=3, store=memory) == 1
    finally:
        memory.close()


class _SlowFeeds(BaseHTTPRequestHandler):
    """Every path is a one-item feed of its own, answered after a pause so a poll takes a while."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(0.1)
        name = self.path.strip("/")
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
                f"<item><title>Story of {name}</title><link>https://news.example/{name}</link>"
                f"<pubDate>{format_datetime(NOW)}</pubDate></item></channel></rss>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def slow_servers(count: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        bases = []
        for _ in range(count):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowFeeds)
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            stack.callback(thread.join, 5)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            bases.append(f"http://127.0.0.1:{server.server_address[1]}")
        yield bases


@needs_fork
def test_a_killed_worker_loses_its_unreported_sources_only(tmp_path: Path) -> None:
    """A worker killed mid-poll (out of memory, an operator): the poll ends, what the other worker found is
    stored, and the killed one's unreported sources are reported as not polled, with nothing recorded on them."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    with slow_servers(2) as bases:
        names = [f"s{i:03d}" for i in range(FEEDS)]
        sources = "".join(f'  - {{name: {n}, url: "{bases[i % 2]}/{n}"}}\n' for i, n in enumerate(names))
        watchlist = parse_watchlist(f"sources:\n{sources}actors:\n  - {{id: pashinyan, name: Nikol Pashinyan}}\n")

        def kill_one_worker() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                workers = [p for p in multiprocessing.active_children() if p.name == "watcher-poll-worker"]
                if len(workers) == 2:
                    time.sleep(0.3)  # let both report a few sources first
                    os.kill(workers[0].pid or 0, signal.SIGKILL)
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        with Store.open(url) as store:
            outcomes = poll_all(store, watchlist, workers=2)
            killer.join()
            health = {h.name: h for h in store.source_health()}
    lost = [n for n, o in outcomes.items() if o.status == "error"]
    polled = [n for n, o in outcomes.items() if o.status == "new"]
    assert lost and polled and len(lost) + len(polled) == FEEDS
    assert all("worker process ended early" in (outcomes[n].error or "") for n in lost)
    assert all(health[n].last_attempt_at is None and health[n].consecutive_failures == 0 for n in lost)
    assert all(health[n].total_items == 1 for n in polled)


def test_the_matcher_is_compiled_when_the_first_item_needs_it(feeds: tuple[Path, str], tmp_path: Path) -> None:
    _, base = feeds
    watchlist = watchlist_of(base)
    url = f"sqlite:///{tmp_path / 'lazy.db'}"
    upgrade(url)
    with Store.open(url) as store:
        store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=NOW)
        first = MatcherOnDemand(watchlist.entries)
        some = watchlist.sources[:3]
        outcomes = poll(some, watchlist=watchlist, store=store, matcher=first, settings=SETTINGS, clock=lambda: NOW)
        assert first.compiled and sum(o.matches_new for o in outcomes) == 6
        again = MatcherOnDemand(watchlist.entries)
        outcomes = poll(some, watchlist=watchlist, store=store, matcher=again, settings=SETTINGS, clock=lambda: NOW)
        assert {o.status for o in outcomes} == {"not-modified"} and not again.compiled


def test_items_and_matches_cross_a_process_whole() -> None:
    item = Item(key="https://news.example/1", title="Пашинян", text="Փաշինյան", link="https://news.example/1",
                published=NOW, guid="urn:1", author="A", summary_html="<p>x</p>", publisher="P", language="hy")
    match = Match(entry_id="pashinyan", field="text", text="Փաշինյան", start=0, end=8, snippet="[[Փաշինյան]]",
                  rule="script")
    for value in (item, match):
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and type(copy) is type(value)
        assert [getattr(copy, f.name) for f in fields(value)] == [getattr(value, f.name) for f in fields(value)]
