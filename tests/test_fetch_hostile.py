"""The fetch stage against a real misbehaving HTTP server on 127.0.0.1 (tests/hostile_server.py)."""

from __future__ import annotations

import asyncio
import tracemalloc
import xml.etree.ElementTree as ET

import pytest
from hostile_server import FEED, HostileServer, gzip_bomb, hostile_server  # noqa: F401 - a fixture

from watcher.errors import FetchError
from watcher.fetch import Fetcher, FetchSettings
from watcher.models import FetchResult, FetchState

NO_STATE = FetchState()

# small limits keep the suite fast; the routes misbehave far beyond them
FAST = FetchSettings(connect_timeout=2, read_timeout=1.5, total_timeout=2, max_bytes=512 * 1024)


def fetch(url: str, state: FetchState = NO_STATE, settings: FetchSettings = FAST) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, state)

    return asyncio.run(run())


def fetch_error(url: str, settings: FetchSettings = FAST) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, settings=settings)
    return info.value


def test_good_feed_and_conditional_get(hostile_server: HostileServer) -> None:  # noqa: F811
    first = fetch(hostile_server.url("/feed"))
    assert (first.status, first.content) == (200, FEED)
    assert first.header("content-type") == "application/rss+xml; charset=utf-8"
    second = fetch(hostile_server.url("/feed"), FetchState(first.etag, first.last_modified))
    assert (second.status, second.content, second.etag) == (304, b"", first.etag)
    sent = [r.headers for r in hostile_server.seen if r.path == "/feed"][-1]
    assert (sent["if-none-match"], sent["if-modified-since"]) == (first.etag, first.last_modified)
    assert "watcher/" in sent["user-agent"] and sent["user-agent"].startswith("Mozilla/5.0")


def test_gzip_feed_is_decoded(hostile_server: HostileServer) -> None:  # noqa: F811
    assert fetch(hostile_server.url("/feed-gzip")).content == FEED


def test_slow_but_fine_feed(hostile_server: HostileServer) -> None:  # noqa: F811
    assert fetch(hostile_server.url("/slow?delay=0.3")).content == FEED


def test_drip_stops_at_total_timeout(hostile_server: HostileServer) -> None:  # noqa: F811
    error = fetch_error(hostile_server.url("/drip"))
    assert "within 2 s (total_timeout)" in str(error)


@pytest.mark.parametrize(("path", "body_size"), [("/endless", 1 << 30), ("/gzip-bomb", 256 << 20)])
def test_huge_bodies_stop_at_max_bytes_with_bounded_memory(hostile_server: HostileServer,  # noqa: F811
                                                           path: str, body_size: int) -> None:
    gzip_bomb()  # built (and cached) by the server thread otherwise, inside the measurement

    async def run() -> tuple[FetchError, int]:
        async with Fetcher(FAST) as fetcher:
            await fetcher.fetch(hostile_server.url("/feed"))  # connections and TLS setup out of the measurement
            tracemalloc.start()
            try:
                with pytest.raises(FetchError) as info:
                    await fetcher.fetch(hostile_server.url(path))
                return info.value, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    error, peak = asyncio.run(run())
    assert "larger than 524288 bytes (max_bytes)" in str(error)
    assert peak < 4 * FAST.max_bytes < body_size // 100


@pytest.mark.parametrize(("path", "says"), [
    ("/redirect-loop", "redirect loop"),
    ("/redirect-chain/9", "more than 5 redirects (max_redirects)"),
    ("/redirect-file", "redirects to file:///etc/passwd"),
    ("/redirect-ftp", "redirects to ftp://127.0.0.1/feed.xml"),
    ("/cloudflare", "Cloudflare challenge"),
    ("/forbidden", "blocked by the server; try a browser-like user_agent"),
    ("/rate-limited", "rate limited"),
    ("/gone", "gone"),
    ("/unavailable", "server error"),
    ("/short-body", "broke off the exchange"),
    ("/no-such-feed", "not found"),
])
def test_hostile_answers_end_in_a_clear_fetch_error(hostile_server: HostileServer,  # noqa: F811
                                                    path: str, says: str) -> None:
    assert says in str(fetch_error(hostile_server.url(path)))


def test_retry_after_from_the_server(hostile_server: HostileServer) -> None:  # noqa: F811
    limited = fetch_error(hostile_server.url("/rate-limited"))
    assert (limited.status, limited.retry_after) == (429, 120.0)
    unavailable = fetch_error(hostile_server.url("/unavailable"))
    assert unavailable.status == 503
    assert unavailable.retry_after is not None and 500 < unavailable.retry_after <= 600  # an HTTP-date 600 s ahead


@pytest.mark.parametrize(("path", "permanent"), [("/moved", "/feed"), ("/moved-308", "/feed"), ("/temporary", None),
                                                 ("/moved-then-temporary", "/temporary"), ("/redirect-chain/5", None)])
def test_redirects_to_the_feed(hostile_server: HostileServer, path: str,  # noqa: F811
                               permanent: str | None) -> None:
    result = fetch(hostile_server.url(path))
    assert (result.content, result.final_url) == (FEED, hostile_server.url("/feed"))
    assert result.permanent_redirect == (permanent and hostile_server.url(permanent))


def test_html_page_arrives_as_a_200_for_the_parser_to_reject(hostile_server: HostileServer) -> None:  # noqa: F811
    result = fetch(hostile_server.url("/html"))
    assert result.status == 200
    assert result.header("content-type") == "text/html"
    assert ET.fromstring(result.content).tag == "html"


def test_truncated_feed_arrives_as_a_200_for_the_parser_to_reject(hostile_server: HostileServer) -> None:  # noqa: F811
    result = fetch(hostile_server.url("/truncated"))
    assert result.status == 200 and FEED.startswith(result.content) and len(result.content) < len(FEED)
    with pytest.raises(ET.ParseError):
        ET.fromstring(result.content)


@pytest.mark.parametrize("per_host", [2, 10])
def test_hostile_sources_do_not_spoil_good_ones_fetched_alongside(hostile_server: HostileServer,  # noqa: F811
                                                                  per_host: int) -> None:
    hostile = ["/drip", "/endless", "/gzip-bomb", "/redirect-loop", "/cloudflare", "/short-body"]
    good = ["/feed", "/feed-gzip", "/slow?delay=0.2", "/moved", "/feed", "/temporary"]
    settings = FetchSettings(connect_timeout=2, read_timeout=1.5, total_timeout=2, max_bytes=512 * 1024,
                             concurrency=8, per_host=per_host)

    async def run() -> list[FetchResult | BaseException]:
        async with Fetcher(settings) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(hostile_server.url(p)) for p in hostile + good),
                                        return_exceptions=True)

    outcomes = asyncio.run(run())
    assert all(isinstance(o, FetchError) for o in outcomes[: len(hostile)]), outcomes[: len(hostile)]
    assert [o.content for o in outcomes[len(hostile):] if isinstance(o, FetchResult)] == [FEED] * len(good)
