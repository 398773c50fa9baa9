"""A poll cycle at scale on SQLite: 50,000 items in 1,000 record_success calls of 50, or in record_polls calls.

The slow tests check every item and match arrives once and print the rate (``pytest -s`` shows it); they
assert nothing about time. Deselect with ``-m "not slow"``. The others pin what the bulk path must keep:
record_polls stores each source as record_success would, all or nothing, ids and datetimes as Core would.
"""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from test_store_fixtures import T0, _postgres_schema_url, db_url, empty_url, store  # noqa: F401

from watcher.errors import StoreError
from watcher.models import Item, Match, Period, PollRecord
from watcher.store import Store, polls, upgrade
from watcher.store.base import insert_rows_core

BATCHES, PER_BATCH, SOURCES = 1000, 50, 20
BODY = "Пашинян заявил, что переговоры с Азербайджаном продолжаются. " * 8
H = timedelta(hours=1)


def batch(n: int) -> tuple[str, list[Item], dict[str, list[Match]]]:
    items = [Item(key=f"https://news{n % SOURCES}.example/2026/03/{n}/{i}-article", title=f"Заголовок {n} {i}",
                  text=BODY, link=f"https://news.example/{n}/{i}", published=T0 - timedelta(minutes=i),
                  guid=f"urn:{n}:{i}", summary_html=f"<p>{BODY}</p>", language="ru") for i in range(PER_BATCH)]
    hit = Match("pashinyan", "text", "Пашинян", 0, 7, "[[Пашинян]] заявил")
    return f"s{n % SOURCES}", items, {it.key: [hit] for it in items[::5]}


@pytest.mark.slow
def test_fifty_thousand_items_in_batches_of_fifty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    with Store.open(url) as store:
        store.sync_sources([(f"s{i}", f"https://s{i}.example/rss") for i in range(SOURCES)], now=T0)
        batches = [batch(n) for n in range(BATCHES)]
        started = time.perf_counter()
        totals = [store.record_success(source, now=T0 + timedelta(seconds=n), status=200, etag=None,
                                       last_modified=None, items=items, matches=matches)
                  for n, (source, items, matches) in enumerate(batches)]
        elapsed = time.perf_counter() - started
        print(f"\nrecord_success: {BATCHES * PER_BATCH} items in {elapsed:.1f}s, "
              f"{BATCHES * PER_BATCH / elapsed:.0f} items/s")
        assert sum(new for new, _ in totals) == BATCHES * PER_BATCH
        assert sum(found for _, found in totals) == BATCHES * PER_BATCH // 5
        assert sum(h.total_items for h in store.source_health()) == BATCHES * PER_BATCH
        assert len(store.items_between(Period(T0, T0 + timedelta(seconds=10)))) == 10 * PER_BATCH
        assert store.record_success("s0", now=T0 + timedelta(days=1), status=200, etag=None, last_modified=None,
                                    items=batches[0][1], matches=batches[0][2]) == (0, 0)


@pytest.mark.slow
def test_fifty_thousand_items_in_record_polls_calls_of_twenty_feeds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    with Store.open(url) as store:
        store.sync_sources([(f"s{i}", f"https://s{i}.example/rss") for i in range(SOURCES)], now=T0)
        successes = [ok(source, items, matches, now=T0 + timedelta(seconds=n), etag=f'"{n}"')
                     for n, (source, items, matches) in enumerate(batch(n) for n in range(BATCHES))]
        started = time.perf_counter()
        totals = [total for start in range(0, BATCHES, SOURCES)
                  for total in store.record_polls(successes[start:start + SOURCES])]
        elapsed = time.perf_counter() - started
        print(f"\nrecord_polls: {BATCHES * PER_BATCH} items in {elapsed:.1f}s, "
              f"{BATCHES * PER_BATCH / elapsed:.0f} items/s")
        assert totals == [(PER_BATCH, PER_BATCH // 5)] * BATCHES
        assert sum(h.total_items for h in store.source_health()) == BATCHES * PER_BATCH
        assert {h.name: h.etag for h in store.source_health()} == {
            f"s{i}": f'"{BATCHES - SOURCES + i}"' for i in range(SOURCES)}
        assert len(store.items_between(Period(T0, T0 + timedelta(seconds=10)))) == 10 * PER_BATCH
        assert store.record_polls(successes[:2]) == [(0, 0), (0, 0)]


# --- record_polls and the bulk insert, on SQLite and PostgreSQL --------------------------------------------------

def item(n: int, *, published: datetime = T0) -> Item:
    return Item(key=f"https://news.example/{n}", title=f"Title {n}", text=f"Text {n}", link=None, published=published)


def hit(n: int, entry: str = "pashinyan") -> Match:
    # The snippet names the item, so a match stored under the wrong item id shows.
    return Match(entry_id=entry, field="title", text="Title", start=0, end=5, snippet=f"[[Title]] {n}")


def ok(source: str, items: list[Item], matches: dict[str, list[Match]] | None = None, *, now: datetime = T0,
       etag: str | None = None, next_due_at: datetime | None = None) -> PollRecord:
    return PollRecord(source, now, "document", 200, next_due_at=next_due_at, failures=0, etag=etag, items=tuple(items),
                      matches={k: tuple(v) for k, v in (matches or {}).items()})


def test_record_polls_stores_each_source_as_one_record_at_a_time_would(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss"), ("c", "https://c.example/rss")],
                       now=T0)
    store.record_polls([ok("c", [item(0)], next_due_at=T0 + 5 * H)])
    results = store.record_polls([
        ok("a", [item(1, published=T0 - H), item(2)], {item(1).key: [hit(1)]}, now=T0 + H, etag='"a1"'),
        # item 2 came first under a, item 0 in an earlier poll: b gets neither, nor their matches.
        ok("b", [item(2), item(3), item(0)], {item(2).key: [hit(2)], item(3).key: [hit(3), hit(3, "aliyev")],
                                              item(0).key: [hit(0)]}, now=T0 + H, etag='"b1"'),
        ok("c", [], now=T0 + H, next_due_at=None),
    ])
    assert results == [(2, 1), (1, 2), (0, 0)]
    stored = store.items_between(Period(T0, T0 + H))
    assert [(s.source, s.item) for s in stored] == [("a", item(1, published=T0 - H)), ("a", item(2)), ("b", item(3))]
    found = store.matches_between(Period(T0, T0 + H))
    assert [(m.stored_item.item.key, m.match) for m in found] == [
        (item(1).key, hit(1)), (item(3).key, hit(3)), (item(3).key, hit(3, "aliyev"))]
    health = {h.name: h for h in store.source_health()}
    assert [(health[n].total_items, health[n].etag, health[n].newest_item_at) for n in "abc"] == [
        (2, '"a1"', T0), (1, '"b1"', T0), (1, None, T0)]
    assert health["c"].last_success_at == T0 + H and health["c"].next_due_at == T0 + 5 * H  # kept when not given


def test_record_polls_takes_the_same_source_twice(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    first = item(1, published=T0 - 2 * H)
    results = store.record_polls([ok("a", [first], etag='"1"', now=T0 + H),
                                 ok("a", [item(2, published=T0 - 3 * H), first], etag='"2"', now=T0 + H,
                                    next_due_at=T0 + 9 * H)])
    assert results == [(1, 0), (1, 0)]
    (health,) = store.source_health()
    assert (health.total_items, health.etag, health.newest_item_at, health.next_due_at) == (
        2, '"2"', T0 - 2 * H, T0 + 9 * H)


def test_record_polls_is_all_or_nothing(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0)
    with pytest.raises(StoreError, match="unknown source 'nope'"):
        store.record_polls([ok("a", [item(1)], etag='"new"'), ok("nope", [item(2)])])
    broken = Match(entry_id="x", field="title", text=None, start=0, end=1, snippet="s")  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.record_polls([ok("a", [item(1)], {item(1).key: [hit(1)]}, etag='"new"'),
                           ok("b", [item(2)], {item(2).key: [broken]})])
    assert store.known_keys([item(1).key, item(2).key]) == set()
    assert [(h.etag, h.total_items, h.last_success_at) for h in store.source_health()] == [(None, 0, None)] * 2
    assert store.matches_since(T0 - H) == []
    assert store.record_polls([]) == []


def test_more_rows_than_one_statement_takes(store: Store) -> None:
    store.sync_sources([(s, f"https://{s}.example/rss") for s in "abc"], now=T0)
    items = [item(n, published=T0 - timedelta(minutes=n)) for n in range(1500)]
    chunks = [items[:700], items[700:1400], items[1400:]]
    results = store.record_polls([ok(s, chunk, {it.key: [hit(int(it.key.rsplit("/", 1)[1]))] for it in chunk})
                                 for s, chunk in zip("abc", chunks, strict=True)])
    assert results == [(700, 700), (700, 700), (100, 100)]
    assert store.known_keys([it.key for it in items]) == {it.key for it in items}
    found = store.matches_since(T0 - H)
    assert len(found) == 1500
    assert all(m.match.snippet == f"[[Title]] {m.stored_item.item.key.rsplit('/', 1)[1]}" for m in found)
    assert {m.stored_item.source for m in found if m.stored_item.item.key == item(1450).key} == {"c"}


def test_known_keys_in_one_call_for_many_feeds(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    store.record_polls([ok("a", [item(n) for n in range(0, 1200, 3)])])
    assert store.known_keys([item(n).key for n in range(1200)]) == {item(n).key for n in range(0, 1200, 3)}


def test_bulk_insert_stores_datetimes_as_core_does(tmp_path: Path) -> None:
    # SQLite keeps datetimes as text that must sort: the bulk path must write Core's fixed-width UTC format.
    url = f"sqlite:///{tmp_path / 'watcher.db'}"
    upgrade(url)
    yerevan = T0.astimezone(ZoneInfo("Asia/Yerevan"))
    with Store.open(url) as s:
        s.sync_sources([("a", "https://a.example/rss")], now=T0)  # created_at through Core
        s.record_polls([ok("a", [item(1, published=yerevan)], {item(1).key: [hit(1)]}, now=yerevan)])
    with sqlite3.connect(tmp_path / "watcher.db") as raw:
        (created,) = raw.execute("SELECT created_at FROM sources").fetchone()
        assert raw.execute("SELECT published_at, first_seen_at FROM items").fetchone() == (created, created)
        assert raw.execute("SELECT found_at FROM matches").fetchone() == (created,)
    assert created == "2026-03-01 12:00:00.000000"


def test_a_naive_datetime_is_refused_by_the_bulk_path(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    with pytest.raises(ValueError, match="naive"):
        store.record_polls([ok("a", [item(1, published=datetime(2026, 3, 1, 12, 0))])])
    assert store.known_keys([item(1).key]) == set()


def test_the_bulk_insert_stores_what_core_stores(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 request: pytest.FixtureRequest) -> None:
    """The fast path of store/base.py against its plain path: the same records give the same rows, ids and values."""
    records = [ok(s, [item(n, published=T0 - timedelta(minutes=n)) for n in range(k, k + 40)],
                  {item(n).key: [hit(n), hit(n, "aliyev")] for n in range(k, k + 40, 3)}, etag=f'"{s}"')
               for k, s in ((0, "a"), (30, "b"), (70, "a"))]  # overlapping keys, the same source twice

    def stored_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
                        for t in ("items", "matches")}
        finally:
            engine.dispose()

    def store_with(url: str) -> tuple[list[tuple[int, int]], dict[str, list[tuple[object, ...]]]]:
        with Store.open(url) as s:
            s.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0)
            counts = s.record_polls(records)
        return counts, stored_rows(url)

    fast = store_with(db_url)
    if db_url.startswith("sqlite"):
        plain_url = f"sqlite:///{tmp_path / 'core.db'}"
    else:
        schemas = _postgres_schema_url(request.getfixturevalue("postgres_url"))
        plain_url = next(schemas)
        request.addfinalizer(schemas.close)
    upgrade(plain_url)
    monkeypatch.setattr(polls, "insert_rows", insert_rows_core)
    assert store_with(plain_url) == fast
    assert fast[0] == [(40, 28), (30, 20), (40, 28)]
