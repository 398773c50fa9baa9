"""The optional HTTP endpoint (WATCHER_HTTP=host:port): ``/healthz``, ``/metrics`` and the situations' feeds
(``/feeds/SITUATION.atom`` and ``.json``, watcher.syndication), on asyncio streams.

Small on purpose: three read-only GET routes, one request per connection, no framework. A feed is built off the
loop by the service, which bounds its size, keeps it for a minute and builds one of each at a time (a request
for a feed being built is answered 503). Bounded on purpose too: a whole
request (line and headers) must arrive within ``REQUEST_DEADLINE`` seconds (else 408) and each line fit in
``MAX_REQUEST_BYTES`` (else 414 or 431), a request line must be HTTP's (else 400), and at most ``MAX_CONNECTIONS``
are open at once; past that a client is answered 503 and closed at once, so slow or idle clients can never take
the file descriptors the feed fetches need. Every refusal is a short answer and a closed connection, never a
traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from watcher.errors import ConfigError
from watcher.metrics import Metrics
from watcher.settings import parse_listen

log = logging.getLogger("watcher.http")
Health = Callable[[], tuple[bool, dict[str, object]]]
# (situation id, "atom" or "json") -> (body, content type); None while it is being built; LookupError: no such feed
Feeds = Callable[[str, str], Awaitable[tuple[bytes, str] | None]]
REQUEST_DEADLINE = 5.0  # seconds for the request line and every header
MAX_REQUEST_BYTES = 8192  # the request line, and each header line
MAX_HEADERS = 64
MAX_CONNECTIONS = 64  # open at once; monitoring needs a handful


class _HungUp(Exception):
    """The client closed the connection before it sent anything: there is no one to answer."""


class _Refused(Exception):
    """A request that gets a short error answer: (status, why)."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


async def start_http(listen: str, metrics: Metrics, health: Health, feeds: Feeds | None = None) -> asyncio.Server:
    """Serve /healthz (200 when healthy, 503 otherwise, JSON either way), /metrics and /feeds/ on ``listen``."""
    host, port = parse_listen(listen)
    open_connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_connections
        open_connections += 1
        status, body, kind, method = 0, b"", "text/plain", "GET"  # status 0: no answer
        try:
            if open_connections > MAX_CONNECTIONS:
                raise _Refused(503, "too many connections")
            try:
                method, path = await asyncio.wait_for(_read_request(reader), REQUEST_DEADLINE)
            except TimeoutError:
                raise _Refused(408, f"the request did not end within {REQUEST_DEADLINE:g} s") from None
            if feeds is not None and path.startswith("/feeds/") and method in ("GET", "HEAD"):
                status, body, kind = await _feed(path.removeprefix("/feeds/"), feeds)
            else:
                status, body, kind = _answer(method, path, metrics, health)
        except _Refused as e:
            status, body = e.status, f"{e}\n".encode()
        except (_HungUp, ConnectionError):
            log.debug("http: a client hung up; it gets no answer")
        try:
            if status:
                head = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: {kind}\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                writer.write(head + (b"" if method == "HEAD" else body))
                await asyncio.wait_for(writer.drain(), REQUEST_DEADLINE)
        except (TimeoutError, ConnectionError):
            log.debug("http: a client did not take its answer")
        finally:
            open_connections -= 1
            writer.close()

    try:
        server = await asyncio.start_server(handle, host, port, limit=MAX_REQUEST_BYTES)
    except OSError as e:
        raise ConfigError(f"WATCHER_HTTP={listen!r}: cannot listen there: {e.strerror}") from None
    log.info("HTTP endpoint on http://%s:%d (/healthz, /metrics%s)", host, port, ", /feeds/" if feeds else "")
    return server


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and path of the request; its headers are read (bounded) and dropped."""
    request = await _line(reader, 414, "request line too long")
    if not request:
        raise _HungUp
    parts = request.split()
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):  # binary garbage, TLS on the plain port, HTTP/0.9
        raise _Refused(400, "not an HTTP request line")
    for _ in range(MAX_HEADERS + 1):
        if await _line(reader, 431, "header line too long") in (b"\r\n", b"\n", b""):
            break
    else:
        raise _Refused(431, "too many headers")
    method, _, rest = request.decode("latin-1").partition(" ")
    return method, rest.split(" ", 1)[0].split("?", 1)[0]


async def _line(reader: asyncio.StreamReader, status: int, why: str) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _Refused(status, why) from None
    except asyncio.IncompleteReadError as e:  # the client stopped sending: what it sent is all there is
        return e.partial


def _answer(method: str, path: str, metrics: Metrics, health: Health) -> tuple[int, bytes, str]:
    if method not in ("GET", "HEAD"):
        return 405, b"method not allowed\n", "text/plain"
    if path == "/metrics":
        body, kind = metrics.render()
        return 200, body, kind
    if path == "/healthz":
        ok, facts = health()
        return (200 if ok else 503), json.dumps({"ok": ok, **facts}, default=str).encode() + b"\n", "application/json"
    return 404, b"not found: try /healthz, /metrics or /feeds/SITUATION.atom\n", "text/plain"


async def _feed(name: str, feeds: Feeds) -> tuple[int, bytes, str]:
    situation, dot, fmt = name.rpartition(".")
    if not dot or fmt not in ("atom", "json") or not situation or "/" in situation:
        return 404, b"not found: try /feeds/SITUATION.atom or /feeds/SITUATION.json\n", "text/plain"
    try:
        found = await feeds(situation, fmt)
    except LookupError:
        return 404, f"no situation {situation!r} in the watchlist in force\n".encode(), "text/plain"
    if found is None:
        return 503, b"the feed is being built: try again in a moment\n", "text/plain"
    return 200, *found


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
            414: "URI Too Long",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}
