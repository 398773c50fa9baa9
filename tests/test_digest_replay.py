"""Three weeks of feeds with backdated items, replayed through one poll and through daily polls on a fake clock,
on SQLite and PostgreSQL: history from publication dates, the first digest of one period, exactly-once
reporting, a late-found item, stories across languages, key items and outlets by name."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_store_fixtures import _postgres_schema_url, db_url, empty_url, store  # noqa: F401

from watcher.commands.demo import demo_watchlist
from watcher.commands.demo_feeds import SampleItem, sample_items, write_feeds
from watcher.commands.poll import poll_now
from watcher.config import Watchlist
from watcher.feedserver import serve_folder
from watcher.models import Period
from watcher.periods import close_period, preview
from watcher.report import Digest, digest_to_json
from watcher.store import Store, upgrade

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 07:00 in Yerevan, the daily digest's time, in the machine's past
DAY = timedelta(days=1)
DAYS = 21
LATE = SampleItem("caucasus-wire", AT - 5 * DAY - timedelta(hours=3),  # published 5 days back, found on the last day
                  "Stepanakert archive of 1990s photos reopens", "Photos of Stepanakert from the 1990s, found late.",
                  "https://caucasus-wire.example/news/late/1")


@contextmanager
def served(folder: Path) -> Iterator[Callable[[list[SampleItem], datetime], Watchlist]]:
    """A feed server on ``folder``; the callable writes the feeds holding the items given and returns the demo
    watchlist pointing at them."""
    folder.mkdir()
    with serve_folder(folder) as base:
        def publish(items: list[SampleItem], at: datetime) -> Watchlist:
            for name, data in write_feeds(items, at).items():
                (folder / name).write_bytes(data)
            return demo_watchlist(base.rsplit(":", 1)[1])
        yield publish


def poll(store: Store, watchlist: Watchlist, at: datetime) -> None:
    poll_now(watchlist, store, watchlist.sources, clock=lambda: at, workers=1)


def comparable(d: Digest) -> Any:
    """What history decides in each situation: charts, baselines, new, quiet, pairings (item ids are the store's)."""
    data = digest_to_json(d)
    return _without_ids([{k: s[k] for k in ("situation_id", "periods", "attention", "new", "quiet", "pairings")}
                         for s in data["situations"]])


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "item_id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def reported(d: Digest) -> set[int]:
    return {i.item_id for s in d.sections for i in s.items}


def test_one_poll_and_daily_polls_make_the_same_history(store: Store, db_url: str, tmp_path: Path) -> None:
    everything = sample_items(AT)
    # Daily: each morning the feeds hold what was published by then (the late item only on the last morning),
    # the service polls and closes the digest of the day.
    daily: list[Digest] = []
    with served(tmp_path / "daily") as publish:
        for day in range(DAYS, -1, -1):
            moment = AT - day * DAY
            shown = [i for i in everything if i.published <= moment] + ([LATE] if day == 0 else [])
            watchlist = publish(shown, moment)
            poll(store, watchlist, moment)
            digest = watchlist.digests[0]
            daily.append(preview(store, watchlist, digest, now=moment))
            close_period(store, watchlist, digest, now=moment, sender="w@example.org")
    first, last = daily[0], daily[-1]
    # The first digest covered one day (there was no backlog yet); each later one the day since.
    assert (first.period.end - first.period.start, last.period.start, last.period.end) == (DAY, AT - DAY, AT)
    # Exactly once: no item is reported by two digests, and every matched item is reported by one.
    seen: set[int] = set()
    for d in daily:
        assert not seen & reported(d)
        seen |= reported(d)
    assert len(seen) == sum(len(reported(d)) for d in daily)
    matched = {sm.stored_item.id for sm in store.matches_between(_all_time())}
    assert seen == matched
    # The late item is reported on the day it was found, saying when it was published, and its bar is 5 days back.
    (late,) = [s for sit in last.situations for s in sit.stories if s.title == LATE.title][:1]
    assert late.late and late.first_published == LATE.published
    power = next(s for s in last.situations if s.situation_id == "power-in-stepanakert")
    stepanakert = next(r for r in power.attention if r.entry_id == "stepanakert")
    assert stepanakert.series[-6] >= 1 and stepanakert.items == 1  # published 5 periods back; today's is the patrol

    # One poll of the same feeds on the last morning: the first digest covers the last day, the rest is history.
    with _fresh(db_url, tmp_path) as url, Store.open(url) as other, served(tmp_path / "once") as publish:
        watchlist = publish([*everything, LATE], AT)
        poll(other, watchlist, AT)
        once = preview(other, watchlist, watchlist.digests[0], now=AT)
        assert other.feed_titles()["kavkaz-lenta"] == "Кавказская лента"  # the outlet's name, from its feed
    assert once.period == last.period
    assert comparable(once) == comparable(last)
    assert {s.title for sit in once.situations for s in sit.stories} == \
        {s.title for sit in last.situations for s in sit.stories} - {LATE.title}  # backlog is history there
    check_what_a_day_shows(once)


def check_what_a_day_shows(d: Digest) -> None:
    """Each point of the issue, on the replayed day."""
    by_id = {s.situation_id: s for s in d.situations}
    moscow, yerevan, baku, power = (by_id[k] for k in ("moscows-influence", "yerevan-politics", "baku",
                                                        "power-in-stepanakert"))
    rows = {r.entry_id: r for r in moscow.attention}
    # Trends over three weeks, not one flat bar; new, quiet and pairings from day one.
    assert rows["russian-peacekeepers"].change == "up" and len(rows["russian-peacekeepers"].series) == 12
    assert sum(1 for n in rows["vladimir-putin"].series if n) == 11
    assert {q.entry_id for q in moscow.quiet} == {"vladimir-putin"}
    assert {n.entry_id for n in moscow.new} == {"igor-muradyan", "konstantin-zatulin"}
    assert [p.entry_ids for p in moscow.pairings] == [("igor-muradyan", "konstantin-zatulin")]
    # Stories across languages: the Gyumri visit in three, the Lachin incident from four outlets in two.
    gyumri = next(s for s in yerevan.stories if "Gyumri" in s.title)
    assert (gyumri.languages, len(gyumri.outlets)) == (("en", "hy", "ru"), 3)
    lachin = moscow.stories[0]
    assert lachin.title.endswith("near Lachin") and (lachin.languages, len(lachin.outlets)) == (("en", "ru"), 4)
    # Two items about Pashinyan that day, in other words, stay two stories.
    assert any("IMF" in s.title for s in yerevan.stories[1:])
    # Ranked by weight: the four-outlet story first, and weights never rise down the list.
    assert all(a.weight >= b.weight for a, b in zip(moscow.stories, moscow.stories[1:], strict=False))
    # A query selects an item naming no entry of its situation: a key item of Baku without Aliyev.
    conference = next(s for s in baku.stories if "conference" in s.title)
    assert conference.key and conference.entries == ()
    assert power.key_count == 3
    # Outlets by name, with the watchlist's note; every watched name in a snippet marked.
    assert "Кавказская лента" in {o.outlet for o in lachin.outlets}
    assert {o.note for o in lachin.outlets} >= {"state media, Russia", "pro-government, Azerbaijan"}
    zatulin = next(s for s in moscow.stories if "Затулин" in s.title)
    assert zatulin.snippet is not None and zatulin.snippet.count("[[") == 3


def _all_time() -> Period:
    return Period(datetime(1970, 1, 1, tzinfo=UTC), AT + DAY)


@contextmanager
def _fresh(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``db_url``, migrated."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'once.db'}"
        upgrade(url)
        yield url
        return
    schemas = _postgres_schema_url(os.environ["WATCHER_TEST_POSTGRES_URL"])
    url = next(schemas)
    try:
        upgrade(url)
        yield url
    finally:
        schemas.close()


def test_a_first_digest_reports_one_period_of_the_schedule(store: Store, tmp_path: Path) -> None:
    # It starts at the latest fire time at least half a period back: at the fire time, a day; six hours after it,
    # that day and the six hours; twenty hours after it, those twenty hours (the backlog before is history).
    with served(tmp_path / "feeds") as publish:
        watchlist = publish(sample_items(AT), AT)
        poll(store, watchlist, AT)
        digest = watchlist.digests[0]
        built = {h: preview(store, watchlist, digest, now=AT + timedelta(hours=h)) for h in (0, 6, 20)}
    assert [built[h].period.start for h in (0, 6, 20)] == [AT - DAY, AT - DAY, AT]
    assert built[0].total_items == built[6].total_items == 32 and built[20].empty
    assert built[20].situations[0].attention  # the charts still show the history


def test_dates_in_the_future_or_absurd_count_as_first_seen(store: Store, tmp_path: Path) -> None:
    absurd = replace(LATE, published=datetime(1970, 1, 1, tzinfo=UTC), link="https://caucasus-wire.example/x/1",
                     title="Stepanakert museum reopens")
    with served(tmp_path / "feeds") as publish:
        watchlist = publish([absurd], AT)
        poll(store, watchlist, AT)
        d = preview(store, watchlist, watchlist.digests[0], now=AT)
    (story,) = [s for sit in d.situations for s in sit.stories]
    assert story.first_published == AT and not story.late  # counted as published when it was first seen
