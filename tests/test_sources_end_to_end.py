"""One source of each kind (url, site, search, youtube, fulltext) polled end to end against local servers:
discovery remembered and redone when the feed moves, the search's publisher kept, one story stored once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sources_server import Page, PagesServer, pages_server

from watcher.config import Watchlist, parse_watchlist
from watcher.feedserver import serve_folder
from watcher.fetch import Fetcher, FetchSettings
from watcher.match import compile_matcher
from watcher.models import Period, PollOutcome, StoredItem
from watcher.poll import run_poll, utcnow
from watcher.store import Store, upgrade

RSS = "application/rss+xml; charset=utf-8"
FAST = FetchSettings(connect_timeout=2, read_timeout=2, total_timeout=5)
CHANNEL = "UC0123456789abcdefghijkl"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def rss(*items: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            + "".join(items) + "</channel></rss>").encode()


def item(title: str, link: str, text: str = "", extra: str = "", date: str = "Sat, 21 Nov 2026 10:00:00 GMT") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
            f"<pubDate>{date}</pubDate>{extra}</item>")


ARTICLE = ("<html><head><title>Long read</title></head><body><nav>Home | World | Sport</nav><article>"
           "<h1>Investors and the north</h1>"
           + "".join(f"<p>Paragraph {i} of a long report on investment, roads and schools in the region, with "
                     "quotes from officials and residents who spoke about the coming winter.</p>" for i in range(6))
           + "<p>The businessman Ruben Vardanyan was named in the last paragraph of the report.</p>"
           "</article><footer>Copyright</footer></body></html>").encode()


def youtube_feed(base: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
            f'xmlns="http://www.w3.org/2005/Atom"><title>Channel</title><yt:channelId>{CHANNEL}</yt:channelId>'
            f'<entry><id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Interview with Ilham Aliyev</title>'
            f'<link rel="alternate" href="{base}/watch?v=abc"/><published>2026-11-21T09:00:00+00:00</published>'
            f'</entry></feed>').encode()


def site_pages(base: str) -> dict[str, Page]:
    return {
        "/": Page(b'<html><head><link rel="alternate" type="application/rss+xml" title="News" '
                  b'href="/site-feed.xml"></head><body>Home</body></html>'),
        "/site-feed.xml": Page(rss(item("Aliyev opens a road", f"{base}/site/1")), content_type=RSS),
        "/rss/search": Page(rss(
            item("Pashinyan visits Stepanakert - Artsakhpress", f"{base}/rss/articles/CBMiAA?oc=5",
                 extra='<source url="https://artsakhpress.am">Artsakhpress</source>'),
            item("Border talks resume - Direct Outlet", f"{base}/rss/articles/CBMiBB?oc=5",
                 extra='<source url="https://direct.example">Direct Outlet</source>')), content_type=RSS),
        "/feeds/videos.xml": Page(youtube_feed(base), content_type="application/atom+xml; charset=utf-8"),
        "/teasers.xml": Page(rss(item("A long report", f"{base}/article/1", "Read more...")), content_type=RSS),
        "/article/1": Page(ARTICLE),
    }


WATCHLIST = """\
defaults: {{search_url: "{pages}/rss/search", youtube_url: "{pages}/feeds/videos.xml"}}
sources:
  - {{name: Direct, url: "{folder}/direct.xml"}}
  - {{name: Site, site: "{pages}/"}}
  - {{name: Search, search: {{site: artsakhpress.am, actors: [pashinyan], when: 7d, lang: hy}}}}
  - {{name: Channel, youtube: {channel}}}
  - {{name: Articles, url: "{pages}/teasers.xml", fulltext: true}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
  - {{id: aliyev, name: Ilham Aliyev}}
  - {{id: vardanyan, name: Ruben Vardanyan}}
terms:
  - {{id: border, name: border talks}}
"""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[PagesServer, str]]:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "direct.xml").write_bytes(rss(item("Border talks resume", "http://direct.example/news/7")))
    with pages_server({}) as pages, serve_folder(folder) as base:
        pages.pages.update(site_pages(pages.base_url))
        yield pages, base


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    with Store.open(url) as opened:
        yield opened


def poll(watchlist: Watchlist, store: Store, names: list[str]) -> dict[str, PollOutcome]:
    matcher = compile_matcher(watchlist.entries)

    async def run() -> list[PollOutcome]:
        async with Fetcher(FAST) as fetcher:
            # One source at a time: each a batch of one, as the service polls a source that falls due alone.
            return [o for n in names for o in await run_poll([watchlist.source(n)], watchlist=watchlist, store=store,
                                                                matcher=matcher, fetcher=fetcher, settings=FAST)]

    return {o.source: o for o in asyncio.run(run())}


def poll_together(watchlist: Watchlist, store: Store, names: list[str]) -> dict[str, PollOutcome]:
    """``names`` polled as `watcher poll` does: concurrently, stored in one batch."""
    matcher = compile_matcher(watchlist.entries)

    async def run() -> list[PollOutcome]:
        async with Fetcher(FAST) as fetcher:
            return await run_poll([watchlist.source(n) for n in names], watchlist=watchlist, store=store, settings=FAST,
                                      matcher=matcher, fetcher=fetcher)

    return {o.source: o for o in asyncio.run(run())}


def synced(servers: tuple[PagesServer, str], store: Store) -> Watchlist:
    """The watchlist of every kind of source on the test servers, its sources in the store."""
    pages, folder = servers
    watchlist = parse_watchlist(WATCHLIST.format(pages=pages.base_url, folder=folder, channel=CHANNEL))
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=utcnow())
    return watchlist


def stored(store: Store) -> list[StoredItem]:
    return store.items_between(Period(EPOCH, datetime(2100, 1, 1, tzinfo=UTC)))


def test_one_source_of_each_kind(servers: tuple[PagesServer, str], store: Store) -> None:
    pages = servers[0]
    watchlist = synced(servers, store)
    # The direct feed first, so the search brings a story the store already has.
    outcomes = poll(watchlist, store, ["Direct", "Site", "Search", "Channel", "Articles"])
    assert {n: o.status for n, o in outcomes.items()} == dict.fromkeys(outcomes, "new"), outcomes
    assert store.feed_url_of("Site") == pages.url("/site-feed.xml")

    searched = [p for p in pages.seen if p.startswith("/rss/search")]
    assert searched and "site%3Aartsakhpress.am" in searched[0] and "when%3A7d" in searched[0]
    assert "hl=hy&gl=AM&ceid=AM:hy" in searched[0]
    assert any(p == f"/feeds/videos.xml?channel_id={CHANNEL}" for p in pages.seen)

    items = {s.item.title: s for s in stored(store)}
    assert items["Pashinyan visits Stepanakert"].item.publisher == "Artsakhpress"
    assert items["Pashinyan visits Stepanakert"].source == "Search"
    assert [s.source for s in stored(store) if s.item.title == "Border talks resume"] == ["Direct"]
    assert items["Interview with Ilham Aliyev"].source == "Channel"
    # The article text replaced the teaser, and the match came from it.
    assert "Ruben Vardanyan" in items["A long report"].item.text
    found = {(m.stored_item.source, m.match.entry_id) for m in store.matches_since(EPOCH)}
    assert {("Search", "pashinyan"), ("Site", "aliyev"), ("Channel", "aliyev"), ("Articles", "vardanyan"),
            ("Direct", "border")} <= found
    assert ("Search", "border") not in found

    # The site's feed moves: the remembered URL answers 404, the homepage names the new one.
    del pages.pages["/site-feed.xml"]
    pages.pages["/"] = Page(b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
                            b'</head></html>')
    pages.pages["/atom.xml"] = Page(rss(item("Aliyev meets envoys", f"{pages.base_url}/site/2")), content_type=RSS)
    again = poll(watchlist, store, ["Site", "Search"])
    assert (again["Site"].status, again["Site"].items_new) == ("new", 1)
    assert store.feed_url_of("Site") == pages.url("/atom.xml")
    assert again["Search"].items_new == 0


def test_a_feed_item_after_the_same_story_came_through_a_search_is_not_stored_again(
        servers: tuple[PagesServer, str], store: Store) -> None:
    watchlist = synced(servers, store)
    outcomes = poll(watchlist, store, ["Search", "Direct"])
    assert (outcomes["Search"].items_new, outcomes["Direct"].items_new) == (2, 0)
    assert [s.source for s in stored(store) if s.item.title == "Border talks resume"] == ["Search"]


def test_a_site_without_any_feed_is_an_error_naming_what_was_tried(store: Store) -> None:
    with pages_server({"/": Page(b"<html><body>No feed here</body></html>")}) as pages:
        watchlist = parse_watchlist(f'sources:\n  - {{name: Bare, site: "{pages.base_url}/"}}\n')
        store.sync_sources([("Bare", pages.base_url + "/")], now=utcnow())
        outcome = poll(watchlist, store, ["Bare"])["Bare"]
    assert outcome.status == "error"
    assert "no RSS or Atom feed found" in (outcome.error or "") and "/rss.xml" in (outcome.error or "")
    health = {h.name: h for h in store.source_health()}["Bare"]
    assert health.consecutive_failures == 1 and health.total_items == 0


@pytest.mark.parametrize("first", ["Search", "Direct"])
def test_a_story_stored_through_one_route_is_not_stored_again_by_a_batched_poll(
        servers: tuple[PagesServer, str], store: Store, first: str) -> None:
    watchlist = synced(servers, store)
    second = "Direct" if first == "Search" else "Search"
    assert poll_together(watchlist, store, [first])[first].items_new >= 1
    later = poll_together(watchlist, store, [second])
    assert [s.source for s in stored(store) if s.item.title == "Border talks resume"] == [first]
    assert later[second].status in {"new", "unchanged"}


def test_one_batch_bringing_a_story_through_two_routes_stores_it_once(
        servers: tuple[PagesServer, str], store: Store) -> None:
    watchlist = synced(servers, store)
    outcomes = poll_together(watchlist, store, ["Search", "Direct"])
    assert {o.status for o in outcomes.values()} <= {"new", "unchanged"}
    assert len([s for s in stored(store) if s.item.title == "Border talks resume"]) == 1
    assert {s.item.title for s in stored(store)} >= {"Border talks resume", "Pashinyan visits Stepanakert"}
