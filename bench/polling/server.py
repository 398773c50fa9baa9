"""The feed server: N generated feeds of M items on 127.0.0.1, one asyncio loop in its own process.

Feeds are spread over several listening ports, which clients treat as distinct hosts, as real outlets are.
Feed i is ``http://127.0.0.1:{port}/f{i}.xml``. Every feed shows its newest M items; ``bump(k)`` adds k new
items to every feed (a new generation) and re-renders before it returns. ETag and Last-Modified change
with the generation; a conditional request for the current one gets 304. Control paths (any port):
``/_bump?k=5``, ``/_latency?ms=50``, ``/_stats`` (counts of 200 and 304 answers), ``/_reset_stats``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import urllib.request
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Self
from urllib.parse import parse_qs, urlsplit

from .news import BASE_TIME, MENTION_SHARE, FeedSpec, Mentionable, feed_spec, head_and_tail, render_item

MAX_HEADER = 65_536  # a request head longer than this closes the connection
_TYPES = {"rss2": "application/rss+xml", "atom": "application/atom+xml", "rss1": "application/rdf+xml"}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What to serve: N feeds of M items, over ``hosts`` ports, with these actors mentioned."""

    feeds: int
    items: int
    actors: tuple[Mentionable, ...] = ()
    hosts: int = 64
    seed: int = 8
    latency: float = 0.0
    mention_share: float = MENTION_SHARE


@dataclass
class FeedStore:
    """Rendered bodies of every feed at the current generation; items rendered once and reused."""

    config: ServerConfig
    ports: list[int]
    count: int = 0  # items ever published per feed; the newest is count - 1
    bodies: list[bytes] = field(default_factory=list)
    fragments: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def base(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index % len(self.ports)]}"

    def publish(self, k: int) -> None:
        """Add ``k`` items to every feed and render every feed again."""
        self.count = self.count + k if self.bodies else self.config.items
        first = max(0, self.count - self.config.items)
        self.bodies = [self._render(feed_spec(i), first) for i in range(self.config.feeds)]
        self.fragments = {key: v for key, v in self.fragments.items() if key[1] >= first}

    def _render(self, spec: FeedSpec, first: int) -> bytes:
        base = self.base(spec.index)
        parts = []
        for j in range(self.count - 1, first - 1, -1):
            key = (spec.index, j)
            if key not in self.fragments:
                self.fragments[key] = render_item(spec, j, base, self.config.seed, self.config.actors,
                                                  self.config.mention_share)
            parts.append(self.fragments[key])
        head, tail = head_and_tail(spec, base, self.count - 1, first, self.count - 1)
        return head + b"".join(parts) + tail

    def etag(self, index: int) -> str:
        return f'"f{index}-g{self.count}"'

    def modified(self) -> int:
        return BASE_TIME + 60 * self.count


def not_modified(headers: dict[str, str], etag: str, modified: int) -> bool:
    """Whether a conditional request may be answered 304 (If-None-Match wins over If-Modified-Since)."""
    if "if-none-match" in headers:
        return etag in {tag.strip() for tag in headers["if-none-match"].split(",")} or headers["if-none-match"] == "*"
    if "if-modified-since" in headers:
        try:
            return modified <= parsedate_to_datetime(headers["if-modified-since"]).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class _Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET and HEAD only; requests have no body."""

    def __init__(self, app: _App) -> None:
        self.app = app
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._answer(head)
        if len(self.buffer) > MAX_HEADER and self.transport is not None:
            self.transport.close()

    def _answer(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = ([*lines[0].split(" "), "", "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        status, extra, body = self.app.respond(method, target, headers)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed"}[status]
        lines_out = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in extra.items())]
        if status != 304:
            lines_out.append(f"Content-Length: {len(body)}")
        if close:
            lines_out.append("Connection: close")
        payload = ("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else body)
        delay = self.app.latency if not target.startswith("/_") else 0.0
        if delay:
            asyncio.get_running_loop().call_later(delay, self._send, payload, close)
        else:
            self._send(payload, close)

    def _send(self, payload: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(payload)
        if close:
            self.transport.close()


class _App:
    def __init__(self, store: FeedStore, latency: float) -> None:
        self.store = store
        self.latency = latency
        self.stats = {"200": 0, "304": 0, "404": 0}

    def respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if method not in ("GET", "HEAD"):
            return 405, {"Allow": "GET, HEAD"}, b""
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith("/_"):
            return 200, {"Content-Type": "application/json"}, self._control(parts.path, query)
        name = parts.path.lstrip("/")
        index = int(name[1:-4]) if name.startswith("f") and name.endswith(".xml") and name[1:-4].isdigit() else -1
        if not 0 <= index < len(self.store.bodies):
            self.stats["404"] += 1
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        spec = feed_spec(index)
        etag, modified = self.store.etag(index), self.store.modified()
        extra = {"Content-Type": f"{_TYPES[spec.kind]}; charset={spec.encoding}", "ETag": etag,
                 "Last-Modified": formatdate(modified, usegmt=True)}
        if not_modified(headers, etag, modified):
            self.stats["304"] += 1
            return 304, extra, b""
        self.stats["200"] += 1
        return 200, extra, self.store.bodies[index]

    def _control(self, path: str, query: dict[str, str]) -> bytes:
        if path == "/_bump":
            self.store.publish(int(query.get("k", "1")))
        elif path == "/_latency":
            self.latency = float(query.get("ms", "0")) / 1000
        elif path == "/_reset_stats":
            self.stats = dict.fromkeys(self.stats, 0)
        return json.dumps({"count": self.store.count, "latency_ms": self.latency * 1000, **self.stats}).encode()


async def _serve(config: ServerConfig, ports_out: multiprocessing.connection.Connection) -> None:
    loop = asyncio.get_running_loop()
    store = FeedStore(config, [])
    app = _App(store, config.latency)
    servers = [await loop.create_server(lambda: _Http(app), "127.0.0.1", 0, backlog=2048)
               for _ in range(max(1, min(config.hosts, config.feeds)))]
    store.ports = [s.sockets[0].getsockname()[1] for s in servers]
    store.publish(0)
    ports_out.send(store.ports)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def _main(config: ServerConfig, ports_out: multiprocessing.connection.Connection) -> None:
    asyncio.run(_serve(config, ports_out))


class FeedServer:
    """The server process; use as a context manager. ``urls`` lists every feed's URL."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.ports: list[int] = []
        self._process: multiprocessing.process.BaseProcess | None = None

    def __enter__(self) -> Self:
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_main, args=(self.config, send), name="feedserver", daemon=True)
        self._process.start()
        if not receive.poll(600):  # rendering 5,000 feeds takes seconds, not minutes
            raise RuntimeError("feed server did not start")
        self.ports = receive.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.ports[i % len(self.ports)]}/f{i}.xml" for i in range(self.config.feeds)]

    def control(self, path: str) -> dict[str, float]:
        """Call a control path (``/_bump?k=5``...) and return the server's counters."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}{path}", timeout=600) as response:
            answer: dict[str, float] = json.loads(response.read())
            return answer

    def bump(self, k: int) -> dict[str, float]:
        """Publish ``k`` new items in every feed (returns once every feed is rendered again)."""
        return self.control(f"/_bump?k={k}")
