"""The store's history aggregates, on SQLite and PostgreSQL: counts per period, last mentions, last pairings, and
the period's items as digests read them."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

from datetime import timedelta

from test_store_fixtures import T0, db_url, empty_url, store  # noqa: F401

from watcher.models import Item, Match, Period
from watcher.report.period import period_items
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


def test_mentioned_items_are_the_period_s_items_with_their_matches(store: Store) -> None:
    fill(store)
    period = Period(T0 + 0.5 * DAY, T0 + 2 * DAY)  # (start, end]: item 1, found exactly at the start, is out
    items = store.mentioned_items(period)
    assert [(i.id, i.source, i.title, i.publisher, i.published, i.text) for i in items] == [
        (2, "B", "t2", None, T0 + 0.6 * DAY, None), (3, "News", "t3", "A", T0 + 0.7 * DAY, None),
        (4, "A", "t4", None, T0 + 1.5 * DAY, None)]
    four = items[2]
    assert [(m.item_id, m.entry_id, m.field, m.start, m.snippet) for m in four.mentions] == [
        (4, "aliyev", "title", 0, "aliyev"), (4, "putin", "title", 1, "putin"), (4, "pashinyan", "title", 2, "pashinyan"),
        (4, "aliyev", "text", 0, "x")]
    assert [m.match_id for m in four.mentions] == sorted(m.match_id for m in four.mentions)
    assert all(i.text == "" for i in store.mentioned_items(period, with_text=True))
    assert store.mentioned_items(Period(T0 + 3 * DAY, T0 + 4 * DAY)) == []


def test_mentioned_items_say_what_matches_between_says(store: Store) -> None:
    # The digest reads the lighter rows; grouped by item, the full ones say the same.
    fill(store)
    period = Period(T0, T0 + 3 * DAY)
    light = store.mentioned_items(period, with_text=True)
    full = period_items(store.matches_between(period), period)
    assert sorted(light) == sorted(i._replace(mentions=tuple(sorted(i.mentions, key=lambda m: m.match_id)))
                                   for i in full)
