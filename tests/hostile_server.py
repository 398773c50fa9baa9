"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for tests of every stage that reads the network.

Use the ``hostile_server`` fixture (``from hostile_server import hostile_server`` in a test module), the
``hostile_server_running()`` context manager, or ``start_hostile_server() -> (base_url, stop)``.
Every loop is bounded and watches the stop event, so stopping never waits long.

Routes (GET):
    /feed               good RSS 2.0 with ETag and Last-Modified; 304 to a matching conditional GET
    /feed-gzip          the same feed, gzip-encoded
    /slow?delay=0.5     the good feed after ``delay`` seconds (at most 10)
    /drip               200 feed headers, then one byte a second (at most 120 bytes)
    /endless            200 with no length and 64 KiB chunks up to 1 GiB
    /gzip-bomb          256 KiB of gzip that inflates to 256 MiB of zeros
    /redirect-loop      302 to /redirect-loop-b, which 302s back
    /redirect-chain/N   N 302s in a row, then /feed (N at most 50)
    /moved, /moved-308  301 / 308 to /feed;  /temporary: 302 to /feed;  /moved-then-temporary: 301 to /temporary
    /redirect-file      302 to file:///etc/passwd;  /redirect-ftp: 302 to ftp://127.0.0.1/feed.xml
    /html               an HTML page served as 200 text/html
    /cloudflare         403 with cf-mitigated: challenge, server: cloudflare and a "Just a moment..." page
    /forbidden 403, /rate-limited 429 + Retry-After: 120, /gone 410, /unavailable 503 + Retry-After as an HTTP-date
    /truncated          the feed cut mid-element, with a Content-Length that matches the cut (looks complete)
    /short-body         a Content-Length of the whole feed, half of it sent, then the connection closed
    anything else       404
"""

from __future__ import annotations

import functools
import gzip
import struct
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import time
from urllib.parse import parse_qs, urlsplit

import pytest

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Hostile server news</title><link>http://127.0.0.1/</link><description>Test feed</description>
<item><title>Pashinyan and Aliyev meet in Brussels</title><link>http://127.0.0.1/news/1</link>
<guid>http://127.0.0.1/news/1</guid><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
<description>Talks on the border and on Karabakh refugees.</description></item>
<item><title>\xd0\x9f\xd0\xb5\xd1\x81\xd0\xba\xd0\xbe\xd0\xb2 \xd0\xbe \xd0\x9a\xd0\xb0\xd0\xb2\xd0\xba\xd0\xb0\xd0\xb7\xd0\xb5</title>
<link>http://127.0.0.1/news/2</link><guid>http://127.0.0.1/news/2</guid>
<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate><description>Russian text.</description></item>
</channel></rss>
"""
ETAG = '"feed-v1"'
LAST_MODIFIED = "Mon, 02 Nov 2026 10:00:00 GMT"
HTML = b"<!DOCTYPE html><html><head><title>News</title></head><body><h1>Latest news</h1></body></html>"
CHALLENGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             b"<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>")
DRIP_BYTES = 120
ENDLESS_BYTES = 1 << 30
BOMB_MIB = 256


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server received it; header names lower-cased."""

    path: str
    headers: dict[str, str]


@functools.cache
def gzip_bomb(mib: int = BOMB_MIB) -> bytes:
    """A valid gzip stream of ``mib`` MiB of zeros, about 1 KiB per MiB, built without compressing it all."""
    zeros = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    # a full flush makes the block independent of what came before, so it can simply be repeated
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * mib + compressor.flush() + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event
    seen: list[SeenRequest]

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up is what this server provokes: no traceback for that, one for anything else."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # a client that stops reading frees its thread after this many seconds
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: pytest shows stderr of failing tests only, and this would drown it."""

    def do_GET(self) -> None:
        """Answer one request by its path."""
        url = urlsplit(self.path)
        self.server.seen.append(SeenRequest(url.path, {k.lower(): v for k, v in self.headers.items()}))
        route = _ROUTES.get(url.path)
        if route is None and url.path.startswith("/redirect-chain/"):
            route = _redirect_chain
        try:
            (route or _not_found)(self, parse_qs(url.query))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client gave up, as it should

    def reply(self, status: int, body: bytes = b"", content_type: str = "application/rss+xml; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        """Send a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def start_body(self, headers: dict[str, str]) -> None:
        """Send a 200 whose body follows bit by bit and ends when the connection closes."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()


Query = dict[str, list[str]]


def _feed(h: _Handler, q: Query) -> None:
    if h.headers.get("If-None-Match") == ETAG or h.headers.get("If-Modified-Since") == LAST_MODIFIED:
        h.send_response(304)
        h.send_header("ETag", ETAG)
        h.end_headers()
        return
    h.reply(200, FEED, headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=300"})


def _feed_gzip(h: _Handler, q: Query) -> None:
    h.reply(200, gzip.compress(FEED), headers={"Content-Encoding": "gzip", "ETag": ETAG})


def _slow(h: _Handler, q: Query) -> None:
    delay = min(float(q.get("delay", ["0.5"])[0]), 10.0)
    if not h.server.stopping.wait(delay):
        h.reply(200, FEED)


def _drip(h: _Handler, q: Query) -> None:
    h.start_body({"Content-Length": str(DRIP_BYTES)})
    for byte in (FEED * 2)[:DRIP_BYTES]:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        if h.server.stopping.wait(1.0):
            return


def _endless(h: _Handler, q: Query) -> None:
    h.start_body({})
    chunk = b"<item><title>again</title></item>\n" * 1872  # ~64 KiB
    for _ in range(ENDLESS_BYTES // len(chunk)):
        if h.server.stopping.is_set():
            return
        h.wfile.write(chunk)


def _gzip_bomb(h: _Handler, q: Query) -> None:
    h.reply(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})


def _redirect(location: str, status: int = 302) -> Callable[[_Handler, Query], None]:
    def route(h: _Handler, q: Query) -> None:
        h.reply(status, b"", content_type="text/html", headers={"Location": location})

    return route


def _redirect_chain(h: _Handler, q: Query) -> None:
    n = min(int(h.path.split("/")[2].split("?")[0] or 0), 50)
    _redirect(f"/redirect-chain/{n - 1}" if n > 1 else "/feed")(h, q)


def _status(status: int, body: bytes = b"", headers: dict[str, str] | None = None,
            content_type: str = "text/html") -> Callable[[_Handler, Query], None]:
    def route(h: _Handler, q: Query) -> None:
        h.reply(status, body, content_type=content_type, headers=headers)

    return route


def _unavailable(h: _Handler, q: Query) -> None:
    h.reply(503, b"down for maintenance", content_type="text/plain",
            headers={"Retry-After": formatdate(time() + 600, usegmt=True)})


def _truncated(h: _Handler, q: Query) -> None:
    h.reply(200, FEED[: FEED.index(b"<item>", FEED.index(b"</item>")) + 20])


def _short_body(h: _Handler, q: Query) -> None:
    h.start_body({"Content-Length": str(len(FEED))})
    h.wfile.write(FEED[: len(FEED) // 2])


def _not_found(h: _Handler, q: Query) -> None:
    h.reply(404, b"not found", content_type="text/plain")


_ROUTES: dict[str, Callable[[_Handler, Query], None]] = {
    "/feed": _feed,
    "/feed-gzip": _feed_gzip,
    "/slow": _slow,
    "/drip": _drip,
    "/endless": _endless,
    "/gzip-bomb": _gzip_bomb,
    "/redirect-loop": _redirect("/redirect-loop-b"),
    "/redirect-loop-b": _redirect("/redirect-loop"),
    "/moved": _redirect("/feed", 301),
    "/moved-308": _redirect("/feed", 308),
    "/temporary": _redirect("/feed", 302),
    "/moved-then-temporary": _redirect("/temporary", 301),
    "/redirect-file": _redirect("file:///etc/passwd"),
    "/redirect-ftp": _redirect("ftp://127.0.0.1/feed.xml"),
    "/html": _status(200, HTML),
    "/cloudflare": _status(403, CHALLENGE, {"cf-mitigated": "challenge", "Server": "cloudflare"}),
    "/forbidden": _status(403, b"<h1>Forbidden</h1>"),
    "/rate-limited": _status(429, b"slow down", {"Retry-After": "120"}, "text/plain"),
    "/gone": _status(410, b"gone"),
    "/unavailable": _unavailable,
    "/truncated": _truncated,
    "/short-body": _short_body,
}


@dataclass
class HostileServer:
    """A running hostile server: its base URL, the requests it saw, and how to stop it."""

    base_url: str
    seen: list[SeenRequest] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path


def serve_hostile() -> HostileServer:
    """Start the server on 127.0.0.1 on a free port, in a background thread."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stopping = threading.Event()
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.stopping.set()  # first, so that dripping and endless handlers return
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    host, port = server.server_address[:2]
    return HostileServer(f"http://{host!s}:{port}", server.seen, stop)


def start_hostile_server() -> tuple[str, Callable[[], None]]:
    """Start a hostile server; returns its base URL (no trailing slash) and a function that stops it."""
    running = serve_hostile()
    return running.base_url, running.stop


@contextmanager
def hostile_server_running() -> Iterator[HostileServer]:
    """A hostile server for the duration of a ``with`` block."""
    running = serve_hostile()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[HostileServer]:
    """A hostile server shared by the tests of one module."""
    with hostile_server_running() as running:
        yield running
