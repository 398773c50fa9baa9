"""The fetch stage against httpx.MockTransport: statuses, conditional GET, redirects, limits, headers."""

from __future__ import annotations

import asyncio
import gzip
import random
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from watcher.errors import ConfigError, FetchError
from watcher.fetch import Fetcher, FetchSettings, fetch_once, parse_retry_after
from watcher.models import FetchResult, FetchState

NO_STATE = FetchState()

NOW = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)
FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
Handler = Callable[[httpx.Request], httpx.Response]


def fetch(handler: Handler, url: str = "http://feeds.test/rss", state: FetchState = NO_STATE,
          **settings: object) -> FetchResult:
    """Fetch through a MockTransport with a fixed clock."""
    async def run() -> FetchResult:
        async with Fetcher(FetchSettings(**settings), transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
                           clock=lambda: NOW) as fetcher:
            return await fetcher.fetch(url, state)

    return asyncio.run(run())


def fetch_error(handler: Handler, url: str = "http://feeds.test/rss", **settings: object) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(handler, url, **settings)
    return info.value


class Chunks(httpx.AsyncByteStream):
    """A streamed body, as a real server sends it (MockTransport pre-reads bytes given as content=)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk


@pytest.mark.parametrize(("status", "headers", "body", "says"), [
    (400, {}, b"", "browser-like user_agent"),
    (401, {}, b"", "authentication required"),
    (403, {}, b"<h1>Forbidden</h1>", "blocked by the server; try a browser-like user_agent"),
    (403, {"server": "cloudflare"}, b"<h1>Forbidden</h1>", "blocked by the server"),
    (403, {"cf-mitigated": "challenge"}, b"", "Cloudflare challenge"),
    (503, {"server": "cloudflare"}, b"<title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x'>",
     "Cloudflare challenge"),
    (404, {}, b"", "not found"),
    (410, {}, b"", "gone"),
    (429, {}, b"", "rate limited"),
    (500, {}, b"", "server error"),
    (418, {}, b"", "HTTP 418"),
])
def test_error_statuses_raise_with_an_operator_message(status: int, headers: dict[str, str], body: bytes,
                                                        says: str) -> None:
    error = fetch_error(lambda request: httpx.Response(status, headers=headers, content=body))
    assert error.status == status
    assert says in str(error)
    assert "http://feeds.test/rss" in str(error)


def test_cloudflare_is_named_only_for_a_challenge() -> None:
    error = fetch_error(lambda r: httpx.Response(403, headers={"server": "cloudflare"}, content=b"denied"))
    assert "Cloudflare" not in str(error)


def test_challenge_page_is_recognised_when_gzipped() -> None:
    page = gzip.compress(b"<html><title>Just a moment...</title>" + b" " * 50_000 + b"</html>")
    error = fetch_error(lambda r: httpx.Response(
        503, headers={"server": "cloudflare", "content-encoding": "gzip"}, stream=Chunks([page])))
    assert "Cloudflare challenge" in str(error)


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 0 ", 0.0), ("1.5", 1.5),
    ("Mon, 02 Nov 2026 12:02:00 GMT", 120.0),  # IMF-fixdate
    ("Monday, 02-Nov-26 12:02:00 GMT", 120.0),  # RFC 850
    ("Mon Nov  2 12:02:00 2026", 120.0),  # asctime
    ("Mon, 02 Nov 2026 11:00:00 GMT", 0.0),  # in the past: retry now
    ("-5", None), ("soon", None), ("", None), (None, None), ("inf", None), ("nan", None),
])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(("retry_after", "seconds"), [("120", 120.0), ("Mon, 02 Nov 2026 12:10:00 GMT", 600.0),
                                                      ("whenever", None)])
def test_retry_after_is_carried_by_the_error(retry_after: str, seconds: float | None) -> None:
    error = fetch_error(lambda r: httpx.Response(429, headers={"Retry-After": retry_after}))
    assert (error.status, error.retry_after) == (429, seconds)


def test_conditional_get_round_trip() -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"Cache-Control": "max-age=60"})
        return httpx.Response(200, content=FEED, headers={"ETag": '"v1"',
                                                          "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"})

    first = fetch(server)
    assert (first.status, first.content, first.not_modified) == (200, FEED, False)
    assert "if-none-match" not in seen[0].headers and "if-modified-since" not in seen[0].headers
    second = fetch(server, state=FetchState(etag=first.etag, last_modified=first.last_modified))
    assert seen[1].headers["if-none-match"] == '"v1"'
    assert seen[1].headers["if-modified-since"] == "Mon, 02 Nov 2026 10:00:00 GMT"
    assert (second.status, second.content, second.not_modified) == (304, b"", True)
    # a 304 that does not restate the validators keeps the ones we had
    assert (second.etag, second.last_modified) == ('"v1"', "Mon, 02 Nov 2026 10:00:00 GMT")


def test_304_restating_a_validator_replaces_it() -> None:
    result = fetch(lambda r: httpx.Response(304, headers={"ETag": '"v2"'}), state=FetchState(etag='"v1"'))
    assert (result.etag, result.last_modified) == ('"v2"', None)


@pytest.mark.parametrize(("hops", "permanent"), [
    ([301], "http://feeds.test/hop1"),
    ([308], "http://feeds.test/hop1"),
    ([302], None), ([303], None), ([307], None),
    ([301, 308], "http://feeds.test/hop2"),
    ([301, 302], "http://feeds.test/hop1"),  # moved for good to hop1, which sends us elsewhere for now
    ([302, 301], None),
    ([301, 301, 301, 301, 301], "http://feeds.test/hop5"),  # exactly max_redirects
])
def test_redirects(hops: list[int], permanent: str | None) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        n = 0 if request.url.path == "/rss" else int(request.url.path.removeprefix("/hop"))
        if n < len(hops):
            return httpx.Response(hops[n], headers={"Location": f"hop{n + 1}"})  # relative on purpose
        return httpx.Response(200, content=FEED)

    result = fetch(server)
    assert result.url == "http://feeds.test/rss"
    assert result.final_url == f"http://feeds.test/hop{len(hops)}"
    assert result.permanent_redirect == permanent
    assert result.content == FEED


def test_conditional_headers_follow_redirects() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.host == "old.test":
            return httpx.Response(301, headers={"Location": "https://new.test/feed"})
        assert request.headers["if-none-match"] == '"e"'
        return httpx.Response(304)

    result = fetch(server, "http://old.test/rss", FetchState(etag='"e"'))
    assert (result.status, result.permanent_redirect) == (304, "https://new.test/feed")


@pytest.mark.parametrize(("location", "says"), [
    ("/rss", "redirect loop"),
    ("file:///etc/passwd", "only http and https redirects"),
    ("ftp://feeds.test/rss.xml", "only http and https redirects"),
    ("javascript://feeds.test/%0aalert(1)", "only http and https redirects"),
    ("javascript:alert(1)", "invalid URL in the request or in a redirect's Location"),
    ("", "without a Location"),
])
def test_bad_redirects_are_refused(location: str, says: str) -> None:
    error = fetch_error(lambda r: httpx.Response(302, headers={"Location": location} if location else {}))
    assert says in str(error)


def test_too_many_redirects() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("n", "0"))
        return httpx.Response(302, headers={"Location": f"/rss?n={n + 1}"})

    assert "more than 3 redirects" in str(fetch_error(server, max_redirects=3))
    assert "more than 0 redirects" in str(fetch_error(server, max_redirects=0))


def test_unfollowable_3xx_is_an_error() -> None:
    assert "300" in str(fetch_error(lambda r: httpx.Response(300, content=b"choose")))


@pytest.mark.parametrize("url", ["ftp://feeds.test/rss", "file:///etc/passwd", "feeds.test/rss", "http://", ""])
def test_non_http_urls_are_refused_before_any_request(url: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    assert "http" in str(fetch_error(server, url))


def test_identity_body_over_the_cap() -> None:
    stream = Chunks([b"x" * 1000] * 100)
    error = fetch_error(lambda r: httpx.Response(200, stream=stream), max_bytes=10_000)
    assert "max_bytes" in str(error)
    assert stream.sent <= 11  # stopped reading once over the cap


def test_content_length_over_the_cap_is_refused_unread() -> None:
    stream = Chunks([b"x" * 1000] * 100)
    error = fetch_error(lambda r: httpx.Response(200, headers={"Content-Length": "100000"}, stream=stream),
                        max_bytes=10_000)
    assert "Content-Length 100000" in str(error)
    assert stream.sent == 0


def test_body_of_exactly_max_bytes_is_accepted() -> None:
    assert len(fetch(lambda r: httpx.Response(200, stream=Chunks([b"x" * 10_000])), max_bytes=10_000).content) \
        == 10_000


def _compressed(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as some servers send for "deflate"
    return raw.compress(data) + raw.flush()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_decoded(coding: str) -> None:
    body = _compressed(coding, FEED * 100)
    chunks = [body[i:i + 100] for i in range(0, len(body), 100)]
    header = "deflate" if coding == "raw-deflate" else coding
    result = fetch(lambda r: httpx.Response(200, headers={"Content-Encoding": header}, stream=Chunks(chunks)))
    assert result.content == FEED * 100


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(bytes(50_000_000))  # ~50 KB that inflates to 50 MB
    error = fetch_error(lambda r: httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Chunks([bomb])),
                        max_bytes=1_000_000)
    assert "larger than 1000000 bytes (max_bytes) once decompressed" in str(error)


@pytest.mark.parametrize(("coding", "body", "says"), [
    ("br", b"\x0b\x02\x80hello\x03", "unsupported content-encoding 'br'"),
    ("gzip", b"this is not gzip", "corrupt"),
    ("gzip", gzip.compress(random.Random(1).randbytes(50_000))[:2000], "truncated"),
])
def test_undecodable_bodies(coding: str, body: bytes, says: str) -> None:
    error = fetch_error(lambda r: httpx.Response(200, headers={"Content-Encoding": coding}, stream=Chunks([body])))
    assert says in str(error)


def test_request_identity_headers() -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=FEED)

    fetch(server)
    fetch(server, user_agent="Custom/1.0")
    assert seen[0].headers["user-agent"].startswith("Mozilla/5.0")
    assert "watcher/" in seen[0].headers["user-agent"]
    assert seen[0].headers["accept-encoding"] == "gzip, deflate"
    assert "application/rss+xml" in seen[0].headers["accept"]
    assert seen[1].headers["user-agent"] == "Custom/1.0"


def test_result_headers_are_lower_cased_in_arrival_order() -> None:
    headers = [("Content-Type", "application/rss+xml"), ("ETag", '"a"'), ("Set-Cookie", "a=1"),
               ("Set-Cookie", "b=2"), ("Cache-Control", "max-age=60"), ("Expires", "Mon, 02 Nov 2026 13:00:00 GMT")]
    result = fetch(lambda r: httpx.Response(200, headers=headers, content=FEED))
    names = [name for name, _ in result.headers]
    assert names[:6] == ["content-type", "etag", "set-cookie", "set-cookie", "cache-control", "expires"]
    assert [v for n, v in result.headers if n == "set-cookie"] == ["a=1", "b=2"]
    assert result.header("Cache-Control") == "max-age=60"
    assert (result.fetched_at, result.etag) == (NOW, '"a"')


def test_no_content() -> None:
    assert fetch(lambda r: httpx.Response(204)).content == b""


@pytest.mark.parametrize(("exc", "says"), [
    (httpx.ConnectError("[Errno -2] Name or service not known"), "cannot connect: [Errno -2] Name or service"),
    (httpx.ConnectTimeout("timed out"), "connect_timeout"),
    (httpx.ReadTimeout("timed out"), "read_timeout"),
    (httpx.RemoteProtocolError("peer closed connection"), "broke off the exchange"),
])
def test_network_errors(exc: Exception, says: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        raise exc

    assert says in str(fetch_error(server))


def test_total_timeout_ends_a_stalled_exchange() -> None:
    async def stalled(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("the fetcher should have given up")

    async def run() -> None:
        async with Fetcher(FetchSettings(total_timeout=0.2), transport=httpx.MockTransport(stalled)) as fetcher:
            await fetcher.fetch("http://feeds.test/rss")

    with pytest.raises(FetchError, match="total_timeout"):
        asyncio.run(run())


async def _max_in_flight(settings: FetchSettings, urls: list[str]) -> tuple[int, dict[str, int]]:
    """Most requests in flight at once, overall and per host, while fetching ``urls`` together."""
    now: dict[str, int] = {}
    most: dict[str, int] = {}
    overall = [0, 0]

    async def server(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        now[host] = now.get(host, 0) + 1
        overall[0] += 1
        most[host] = max(most.get(host, 0), now[host])
        overall[1] = max(overall[1], overall[0])
        await asyncio.sleep(0.01)  # let the others pile up
        now[host] -= 1
        overall[0] -= 1
        return httpx.Response(200, content=FEED)

    async with Fetcher(settings, transport=httpx.MockTransport(server)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert all(r.status == 200 for r in results)
    return overall[1], most


def test_per_host_and_overall_limits() -> None:
    urls = [f"http://{host}.test/{i}" for host in "abc" for i in range(5)]
    overall, per_host = asyncio.run(_max_in_flight(FetchSettings(concurrency=10, per_host=2), urls))
    assert per_host == {"a.test": 2, "b.test": 2, "c.test": 2}
    assert overall == 6
    overall, per_host = asyncio.run(_max_in_flight(FetchSettings(concurrency=4, per_host=3), urls))
    assert overall == 4 and max(per_host.values()) <= 3


@pytest.mark.parametrize("bad", [{"concurrency": 0}, {"per_host": 0}, {"total_timeout": -1}, {"max_bytes": 0},
                                 {"max_redirects": -1}, {"user_agent": " "}])
def test_invalid_settings(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FetchSettings(**bad)  # type: ignore[arg-type]


def test_fetcher_starts_lazily_and_restarts_after_close() -> None:
    async def run(action: Callable[[Fetcher], Awaitable[FetchResult]]) -> FetchResult:
        return await action(Fetcher(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=FEED))))

    async def twice(fetcher: Fetcher) -> FetchResult:
        await fetcher.fetch("http://feeds.test/a")
        await fetcher.aclose()
        result = await fetcher.fetch("http://feeds.test/b")
        await fetcher.aclose()
        return result

    assert asyncio.run(run(twice)).final_url == "http://feeds.test/b"


def test_fetch_once() -> None:
    result = fetch_once("http://feeds.test/rss", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, content=FEED, headers={"Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"})))
    assert (result.status, result.content, result.last_modified) == (200, FEED, "Mon, 02 Nov 2026 10:00:00 GMT")
    assert result.fetched_at.tzinfo is not None and result.fetched_at - datetime.now(UTC) < timedelta(1)
