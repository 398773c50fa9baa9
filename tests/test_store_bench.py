"""A poll cycle at scale on SQLite: 50,000 items in 1,000 record_success calls of 50.

It checks every item and match arrives once and prints the rate (``pytest -s`` shows it); it asserts
nothing about time. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from test_store_fixtures import T0

from watcher.models import Item, Match, Period
from watcher.store import Store, upgrade

BATCHES, PER_BATCH, SOURCES = 1000, 50, 20
BODY = "Пашинян заявил, что переговоры с Азербайджаном продолжаются. " * 8


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
