"""Links from a feed's content (article pages, a site's feed links, their redirects) reach public addresses only,
unless the watchlist allows a source more; the URL the analyst wrote is trusted, what its feed points to is not."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from sources_server import Page, PagesServer, pages_server
from test_sources_end_to_end import ARTICLE, FAST, RSS, item, poll, rss, stored
from test_sources_end_to_end import store as store  # the fixture: an empty SQLite store

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.errors import ConfigError, FetchError, LinkRefused
from watcher.fetch import Fetcher, Reach
from watcher.fetch.reach import pinned_address, refusal, resolve_host
from watcher.poll import utcnow
from watcher.sources.discover import discover_feed
from watcher.store import Store

ADMIN_TEXT = b"Ruben Vardanyan"  # what the private page says (ARTICLE names him): it must not reach the store


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.1.2.3", "private"),
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not public"),
    ("93.184.215.14", None), ("2606:4700::1111", None),
])
def test_refusal(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


def fake_resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]
    return resolve


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9100/metrics", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://localhost:8080/",
    "http://LocalHost:9100/", "http://rebind.example/",
])
def test_links_to_this_machine_or_its_networks_are_refused(url: str) -> None:
    resolve = fake_resolver({"rebind.example": ["93.184.215.14", "10.0.0.7"]})  # one private answer is enough

    async def check() -> str | None:
        async def either(host: str, port: int) -> Sequence[str]:
            try:
                return await resolve(host, port)
            except OSError:
                return await resolve_host(host, port)  # numeric forms and localhost: the system's resolver, no DNS
        return await pinned_address(url, Reach(trusted="https://news.example/rss"), either)

    with pytest.raises(LinkRefused, match="not fetched: a link from the feed leads to the") as e:
        asyncio.run(check())
    assert "allow_private_links" in str(e.value)


def test_the_origin_the_analyst_wrote_and_an_allowed_source_are_trusted() -> None:
    resolve = fake_resolver({})
    trusted = Reach(trusted="http://127.0.0.1:8000/feed.xml")
    assert asyncio.run(pinned_address("http://127.0.0.1:8000/article/1", trusted, resolve)) is None
    with pytest.raises(LinkRefused):  # another port of the same machine is another server
        asyncio.run(pinned_address("http://127.0.0.1:9100/metrics", trusted, resolve))
    assert asyncio.run(pinned_address("http://127.0.0.1:9100/metrics", Reach(allow_private=True), resolve)) is None
    public = Reach(trusted="http://127.0.0.1:8000/feed.xml")
    assert asyncio.run(pinned_address("https://news.example/a", public, fake_resolver({"news.example": ["93.184.215.14"]}))) \
        == "93.184.215.14"
    with pytest.raises(FetchError, match="cannot resolve"):
        asyncio.run(pinned_address("https://nowhere.example/a", public, resolve))


def test_a_redirect_from_a_public_link_to_cloud_metadata_is_not_followed_and_the_request_goes_to_the_checked_address() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam"})

    async def run() -> None:
        resolve = fake_resolver({"news.example": ["93.184.215.14"]})
        async with Fetcher(FAST, transport=httpx.MockTransport(handler), resolve=resolve) as fetcher:
            await fetcher.fetch("https://news.example/a/1", reach=Reach(trusted="https://feeds.example/rss"))

    with pytest.raises(LinkRefused, match="link-local address 169.254.169.254"):
        asyncio.run(run())
    assert len(seen) == 1  # the metadata address was never asked
    assert seen[0].url.host == "93.184.215.14" and seen[0].headers["Host"] == "news.example"
    assert seen[0].extensions["sni_hostname"] == "news.example" and seen[0].headers["Connection"] == "close"


def test_a_source_url_the_analyst_wrote_is_fetched_wherever_it_is() -> None:
    with pages_server({"/feed.xml": Page(rss(), content_type=RSS)}) as pages:
        async def run() -> int:
            async with Fetcher(FAST) as fetcher:
                return (await fetcher.fetch(pages.url("/feed.xml"))).status
        assert asyncio.run(run()) == 200


@pytest.fixture
def private() -> Iterator[PagesServer]:
    """A server of "this machine" (another port of 127.0.0.1): an admin page, and watcher's own /metrics."""
    with pages_server({"/metrics": Page(ARTICLE), "/admin": Page(ARTICLE),
                       "/feed.xml": Page(rss(), content_type=RSS)}) as server:
        yield server


WATCHLIST = """\
sources:
  - {{name: Articles, url: "{feed}", fulltext: true{extra}}}
actors:
  - {{id: vardanyan, name: Ruben Vardanyan}}
"""


@pytest.mark.parametrize("allowed", [False, True])
def test_fulltext_does_not_fetch_an_item_linking_to_a_private_address_unless_the_source_allows_it(
        private: PagesServer, store: Store, allowed: bool) -> None:
    feed = rss(item("Read more", private.url("/metrics"), "A teaser"), item("Admin", private.url("/admin"), "Another"))
    with pages_server({"/teasers.xml": Page(feed, content_type=RSS)}) as pages:
        extra = ", allow_private_links: true" if allowed else ""
        watchlist = parse_watchlist(WATCHLIST.format(feed=pages.url("/teasers.xml"), extra=extra))
        store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=utcnow())
        outcome = poll(watchlist, store, ["Articles"])["Articles"]
    texts = " ".join(s.item.text for s in stored(store))
    if allowed:
        assert sorted(private.seen) == ["/admin", "/metrics"] and ADMIN_TEXT.decode() in texts
        assert outcome.problems == ()
    else:
        assert private.seen == [] and ADMIN_TEXT.decode() not in texts and "A teaser" in texts
        assert outcome.status == "new" and len(outcome.problems) == 2
        assert outcome.problems[0] == (f"article page {private.url('/metrics')}: not fetched: a link from the feed leads "
                                       "to the loopback address 127.0.0.1 (set allow_private_links: true on the source "
                                       "if it is meant to reach such addresses)")


def test_discovery_does_not_follow_a_page_s_feed_link_to_a_private_address(private: PagesServer) -> None:
    page = Page(f'<html><head><link rel="alternate" type="application/rss+xml" href="{private.url("/feed.xml")}">'
                '</head></html>'.encode())
    with pages_server({"/": page}) as site:
        async def run(reach: Reach | None):  # type: ignore[no-untyped-def]
            async with Fetcher(FAST) as fetcher:
                return await discover_feed(site.url("/"), fetcher, try_all=True, reach=reach)

        refused = asyncio.run(run(None))
        assert private.seen == [] and refused.chosen != private.url("/feed.xml")
        assert "loopback address 127.0.0.1" in (refused.candidates[0].error or "")
        allowed = asyncio.run(run(Reach(trusted=site.url("/"), allow_private=True)))
    assert allowed.chosen == private.url("/feed.xml") and private.seen == ["/feed.xml"]


def test_sources_discover_follows_a_private_feed_link_only_for_a_source_that_allows_it(
        private: PagesServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = Page(f'<html><head><link rel="alternate" type="application/rss+xml" href="{private.url("/feed.xml")}">'
                '</head></html>'.encode())
    config = tmp_path / "watchlist.yaml"
    with pages_server({"/": page}) as site:
        for allow, code in ((False, 1), (True, 0)):
            extra = ", allow_private_links: true" if allow else ""
            config.write_text(f'sources:\n  - {{name: Site, site: "{site.url("/")}"{extra}}}\n', encoding="utf-8")
            assert main(["--config", str(config), "sources", "discover", site.url("/")]) == code
            out = capsys.readouterr().out
            assert (f"feed: {private.url('/feed.xml')}" in out.splitlines()) is allow, out
    assert private.seen == ["/feed.xml"]  # asked once: for the source that allows it


def test_allow_private_links_is_checked_in_the_watchlist() -> None:
    parse_watchlist('sources:\n  - {name: S, site: "https://x.example/", allow_private_links: true}\n')
    for source in ('{name: S, url: "https://x.example/rss", allow_private_links: true}',
                   '{name: S, url: "https://x.example/rss", fulltext: true, allow_private_links: maybe}'):
        with pytest.raises(ConfigError) as e:
            parse_watchlist(f"sources:\n  - {source}\n")
        [problem] = e.value.problems
        assert problem.startswith("watchlist.yaml:2: sources[0]") and "allow_private_links" in problem
