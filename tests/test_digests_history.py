"""The store's history aggregates, on SQLite and PostgreSQL: counts per period, last mentions, last pairings."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

from datetime import timedelta

from test_store_fixtures import T0, db_url, empty_url, store  # noqa: F401

from watcher.models import Item, Match, Period
from watcher.store import Store

DAY = timedelta(days=1)


def add(store: Store, source: str, n: int, at_day: float, entries: list[str], publisher: str | None = None) -> None:
    at = T0 + at_day * DAY
    item = Item(key=f"http://e.org/{n}", title=f"t{n}", text="", link=None, published=at, publisher=publisher)
    matches = [Match(entry_id=e, field="title", text=e, start=i, end=i + 1, snippet=e) for i, e in enumerate(entries)]
    # a second match of the first entry in the same item: counts stay per item
    matches.append(Match(entry_id=entries[0], field="text", text="x", start=0, end=1, snippet="x"))
    store.record_success(source, now=at, status=200, etag=None, last_modified=None, items=[item],
                         matches={item.key: matches})


def fill(store: Store) -> None:
    store.sync_sources([("A", "http://a/"), ("B", "http://b/"), ("News", "http://n/")], now=T0)
    add(store, "A", 1, 0.5, ["pashinyan", "aliyev"])
    add(store, "B", 2, 0.6, ["pashinyan"])
    add(store, "News", 3, 0.7, ["pashinyan"], publisher="A")  # outlet A again, through a news search
    add(store, "A", 4, 1.5, ["aliyev", "putin", "pashinyan"])
    add(store, "B", 5, 2.5, ["putin"])


def test_entry_counts_per_period(store: Store) -> None:
    fill(store)
    periods = [Period(T0, T0 + DAY), Period(T0 + DAY, T0 + 2 * DAY), Period(T0 + 2 * DAY, T0 + 3 * DAY)]
    counts = store.entry_counts(periods)
    assert counts["pashinyan"] == [(3, 2), (1, 1), (0, 0)]
    assert counts["aliyev"] == [(1, 1), (1, 1), (0, 0)]
    assert counts["putin"] == [(0, 0), (1, 1), (1, 1)]
    assert set(store.entry_counts(periods, entry_ids={"putin"})) == {"putin"}
    assert store.entry_counts([]) == {}
    # (start, end]: an item found exactly at a period's start belongs to the period before
    assert store.entry_counts([Period(T0 + 0.5 * DAY, T0 + DAY)])["pashinyan"] == [(2, 2)]


def test_last_mentions_and_pairings_up_to_a_moment(store: Store) -> None:
    fill(store)
    assert store.last_mentions(T0 + 2 * DAY) == {"pashinyan": T0 + 1.5 * DAY, "aliyev": T0 + 1.5 * DAY,
                                                 "putin": T0 + 1.5 * DAY}
    assert store.last_mentions(T0 + DAY, entry_ids={"putin", "aliyev"}) == {"aliyev": T0 + 0.5 * DAY}
    pairs = store.last_pairings(T0 + 3 * DAY, entry_ids={"pashinyan", "aliyev", "putin"})
    assert pairs == {("aliyev", "pashinyan"): T0 + 1.5 * DAY, ("aliyev", "putin"): T0 + 1.5 * DAY,
                     ("pashinyan", "putin"): T0 + 1.5 * DAY}
    assert store.last_pairings(T0 + DAY, entry_ids={"pashinyan", "aliyev", "putin"}) == {
        ("aliyev", "pashinyan"): T0 + 0.5 * DAY}
    assert store.last_pairings(T0 + 3 * DAY, entry_ids={"pashinyan"}) == {}


def test_source_item_counts(store: Store) -> None:
    fill(store)
    periods = [Period(T0, T0 + DAY), Period(T0 + DAY, T0 + 3 * DAY)]
    assert store.source_item_counts(periods) == {"A": [1, 1], "B": [1, 1], "News": [1, 0]}
