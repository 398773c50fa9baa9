"""The only module that speaks HTTP (httpx): conditional GETs with bounded time, size, redirects and concurrency.

Design, from ``bench/fetch_pool.py`` (see ``watcher.fetch`` for the table): httpcore's pool bookkeeping grows
with the square of the connections in one pool, so instead of one AsyncClient with 50 connections we keep
``ceil(concurrency / SLOTS_PER_CLIENT)`` clients with a few connections each. A semaphore is the overall
concurrency limit; a host keeps going to the client that served it last while that client has room, so its
kept-alive connection is reused instead of every client opening its own (a TCP connect costs more CPU than
a 304). A light load keeps reusing one warm client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import certifi
import httpx

from watcher import __version__
from watcher.errors import ConfigError, FetchError
from watcher.fetch.body import ACCEPT_ENCODING, BodyDecoder, BodyTooLarge
from watcher.fetch.reach import Reach, Resolver, pinned_address, resolve_host
from watcher.fetch.rules import (
    PERMANENT_REDIRECTS,
    REDIRECTS,
    check_url,
    redirect_target,
    status_error,
)
from watcher.models import FetchResult, FetchState

# Some outlets answer 403 (news.am) or 400 (azertag.az) to non-browser agents; the token says who we are.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 "
              f"watcher/{__version__}")
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
SLOTS_PER_CLIENT = 4  # requests in flight per AsyncClient on average; bench: throughput falls past ~5 per pool
# A host stays on its client up to this many requests in flight there, rather than open a connection elsewhere...
AFFINITY_LIMIT = 2 * SLOTS_PER_CLIENT
# ...and a client keeps this many connections, so its hosts' idle ones survive while others are busy. Requests in
# flight on one client never exceed it (AFFINITY_LIMIT, or the least busy client's share), so none waits in a pool.
CONNECTIONS_PER_CLIENT = 4 * SLOTS_PER_CLIENT
ERROR_PEEK = 16 * 1024  # enough of an error page to recognise a Cloudflare challenge
NO_STATE = FetchState()  # a source polled for the first time


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity of the fetcher; the defaults suit polling a few thousand public feeds."""

    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # silence between two reads
    total_timeout: float = 60.0  # whole exchange, redirects included: stops a server dripping a byte a second
    max_bytes: int = 10 * 1024 * 1024  # cap on the DECOMPRESSED body (gzip bombs)
    max_redirects: int = 5
    concurrency: int = 64  # overall in-flight; bench: cost per request flat up to 100 in flight with 4 per client
    per_host: int = 2  # politeness: in-flight requests per host

    @classmethod
    def with_agent(cls, user_agent: str | None) -> FetchSettings:
        """The default settings, sending ``user_agent`` (the watchlist's ``defaults.user_agent``) when given."""
        return cls(user_agent=user_agent) if user_agent else cls()

    def __post_init__(self) -> None:
        problems = [f"{name} must be > 0" for name in ("connect_timeout", "read_timeout", "total_timeout",
                                                       "max_bytes", "concurrency", "per_host")
                    if not getattr(self, name) > 0]
        if self.max_redirects < 0:
            problems.append("max_redirects must be >= 0")
        if not self.user_agent.strip():
            problems.append("user_agent must not be empty; some outlets refuse requests without one")
        if problems:
            raise ConfigError("invalid fetch settings: " + "; ".join(problems), problems)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes = b""
    location: str | None = None  # of a redirect


@dataclass(slots=True)
class _HostGate:
    semaphore: asyncio.Semaphore
    users: int = 0


class Fetcher:
    """Fetches feeds over async httpx; use as ``async with Fetcher(settings) as f: await f.fetch(url, state)``."""

    def __init__(self, settings: FetchSettings = FetchSettings(), *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] = _utc_now, clients: int | None = None,
                 resolve: Resolver = resolve_host) -> None:
        self._settings = settings
        self._transport = transport
        self._clock = clock
        self._resolve = resolve  # host names of links from feed content (watcher.fetch.reach)
        # an injected transport is one pool already; otherwise enough clients to keep each pool small
        self._client_count = 1 if transport is not None else (
            clients or math.ceil(settings.concurrency / SLOTS_PER_CLIENT))
        self._clients: list[httpx.AsyncClient] = []
        self._in_flight: list[int] = []  # per client
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._client_of: dict[str, int] = {}  # host -> the client that served it last
        self._hosts: dict[str, _HostGate] = {}

    async def __aenter__(self) -> Self:
        self._start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection; the Fetcher may be started again by the next fetch."""
        clients, self._clients = self._clients, []
        self._client_of = {}
        for client in clients:
            await client.aclose()

    @property
    def user_agent(self) -> str:
        """The User-Agent the next request sends."""
        return self._settings.user_agent

    def set_user_agent(self, user_agent: str) -> None:
        """Send ``user_agent`` from the next request on (a reloaded watchlist may change it); requests already
        sent keep theirs, and connections stay open."""
        self._settings = dataclasses.replace(self._settings, user_agent=user_agent)
        for client in self._clients:
            client.headers["User-Agent"] = self._settings.user_agent

    def _start(self) -> None:
        if self._clients:
            return
        s = self._settings
        timeout = httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                pool=s.connect_timeout)
        headers = {"User-Agent": s.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        per_client = max(CONNECTIONS_PER_CLIENT, math.ceil(s.concurrency / self._client_count))
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        # one CA context for all clients: loading the CA bundle costs ~20 ms each time
        verify: ssl.SSLContext | bool = True
        if self._transport is None:
            verify = ssl.create_default_context(cafile=certifi.where())
        self._clients = [httpx.AsyncClient(transport=self._transport, timeout=timeout, headers=headers,
                                           limits=limits, verify=verify, follow_redirects=False)
                         for _ in range(self._client_count)]
        self._in_flight = [0] * self._client_count

    async def fetch(self, url: str, state: FetchState = NO_STATE, *, reach: Reach | None = None) -> FetchResult:
        """GET ``url`` conditionally, following up to max_redirects redirects; raise FetchError on failure.

        ``reach``: ``url`` came from a feed's content, so it and every redirect target must lead where ``reach``
        allows (watcher.fetch.reach); each request then connects to the address that was checked.
        """
        check_url(url)
        self._start()
        started, fetched_at = time.perf_counter(), self._clock()
        budget = self._settings.total_timeout
        chain = [url]
        permanent: str | None = None
        all_permanent = True  # only an unbroken run of 301/308 from the start moves the source for good
        while True:
            pin = None if reach is None else await pinned_address(chain[-1], reach, self._resolve)
            reply, spent = await self._exchange(chain[-1], state, budget, pin)
            budget -= spent
            status = reply.status
            if status not in REDIRECTS:
                break
            target = redirect_target(chain[-1], status, reply.location)
            if target in chain:
                raise FetchError(f"{url}: redirect loop: {' -> '.join([*chain, target])}", status=status)
            if len(chain) > self._settings.max_redirects:
                raise FetchError(f"{url}: more than {self._settings.max_redirects} redirects (max_redirects): "
                                 f"{' -> '.join([*chain, target])}", status=status)
            all_permanent = all_permanent and status in PERMANENT_REDIRECTS
            if all_permanent:
                permanent = target
            chain.append(target)
        first = dict(reversed(reply.headers))  # first value of each header wins
        etag, last_modified = first.get("etag"), first.get("last-modified")
        if status == 304:  # keep what we knew unless the server restates it
            etag, last_modified = etag or state.etag, last_modified or state.last_modified
        return FetchResult(url=url, final_url=chain[-1], status=status, content=reply.content,
                           headers=reply.headers, fetched_at=fetched_at, elapsed=time.perf_counter() - started,
                           etag=etag, last_modified=last_modified, permanent_redirect=permanent)

    async def _exchange(self, url: str, state: FetchState, budget: float,
                        pin: str | None = None) -> tuple[_Reply, float]:
        """One request within ``budget`` seconds (to the address ``pin`` when given): its reply and the seconds it
        held a slot."""
        async with self._host_turn(url) as host, self._slots:
            index = self._choose_client(host)
            client = self._clients[index]
            self._in_flight[index] += 1
            began = time.perf_counter()
            try:
                async with asyncio.timeout(budget):
                    reply = await self._request(client, url, state, pin)
            except TimeoutError:
                raise FetchError(f"{url}: no complete answer within {self._settings.total_timeout:g} s "
                                 "(total_timeout); the server is too slow or drips its answer") from None
            except httpx.HTTPError as e:
                raise _network_error(url, e, self._settings) from e
            except httpx.InvalidURL as e:  # httpx parses a redirect's Location even when it does not follow it
                raise FetchError(f"{url}: invalid URL in the request or in a redirect's Location: {e}") from e
            finally:
                self._in_flight[index] -= 1
            return reply, time.perf_counter() - began

    def _choose_client(self, host: str) -> int:
        """The client that served ``host`` last if it has room, else the least busy (lowest index on a tie)."""
        last = self._client_of.get(host)
        if last is not None and last < len(self._in_flight) and self._in_flight[last] < AFFINITY_LIMIT:
            return last
        chosen = min(range(len(self._in_flight)), key=self._in_flight.__getitem__)
        self._client_of[host] = chosen
        return chosen

    async def _request(self, client: httpx.AsyncClient, url: str, state: FetchState,
                       pin: str | None = None) -> _Reply:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        target = httpx.URL(url)
        extensions = {}
        if pin is not None:  # connect to the checked address; the server still sees (and TLS checks) the host
            headers["Host"] = target.netloc.decode("ascii")
            extensions["sni_hostname"] = target.host
            # The pool knows the connection by the address alone: another host on it (a CDN's) must not reuse it.
            headers["Connection"] = "close"
            target = target.copy_with(host=pin)
        async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
            status = response.status_code
            pairs = tuple(response.headers.multi_items())
            if status in REDIRECTS:
                return _Reply(status, pairs, location=response.headers.get("location"))
            if status >= 400:
                try:
                    peek = await _read(response, url, ERROR_PEEK, truncate=True)
                except FetchError:
                    peek = b""
                raise status_error(url, status, dict(reversed(pairs)), peek, self._clock())
            if 300 <= status < 400 and status != 304:
                raise FetchError(f"{url}: HTTP {status} is not a redirect we can follow", status=status)
            if status in {204, 304}:
                # Read the empty body all the same: httpcore hands a connection back to the pool only once it
                # has seen the response end, and a 304 left unread cost a new TCP connection per poll.
                await _read(response, url, ERROR_PEEK, truncate=True)
                content = b""
            else:
                content = await _read(response, url, self._settings.max_bytes)
            return _Reply(status, pairs, content)

    @asynccontextmanager
    async def _host_turn(self, url: str) -> AsyncIterator[str]:
        """Hold one of the per_host places of ``url``'s host; gates of idle hosts are dropped."""
        key = host_key(url)
        gate = self._hosts.get(key)
        if gate is None:
            gate = self._hosts[key] = _HostGate(asyncio.Semaphore(self._settings.per_host))
        gate.users += 1
        try:
            async with gate.semaphore:
                yield key
        finally:
            gate.users -= 1
            if not gate.users:
                del self._hosts[key]


def host_key(url: str) -> str:
    """Whose politeness limit ``url`` counts against: its host, with a port only when it is not a default one
    (http and https of one server share a limit; a service on its own port is another server)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # check_url has refused such a URL already; never let the limit's key fail
        port = None
    return host if port in (None, 80, 443) else f"{host}:{port}"


async def _read(response: httpx.Response, url: str, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body, at most ``limit`` bytes held at any time."""
    encoding = response.headers.get("content-encoding")
    chunks: AsyncIterator[bytes]
    if response.is_stream_consumed:  # built from bytes by a test transport: httpx has decoded it already
        encoding, chunks = None, _one(response.content)
    else:
        chunks = response.aiter_raw()
    try:
        length = int(response.headers.get("content-length", ""))
    except ValueError:
        length = -1
    try:
        if not truncate and length > limit and encoding in {None, "identity"}:
            raise BodyTooLarge(f"Content-Length {length} is over the limit of {limit} bytes (max_bytes)")
        decoder = BodyDecoder(encoding, limit, truncate=truncate)
        async for chunk in chunks:
            decoder.feed(chunk)
            if decoder.full:
                break
        return decoder.finish()
    except FetchError as e:  # the body's errors do not know the URL
        raise type(e)(f"{url}: {e.args[0]}", hint=e.hint) from None


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _network_error(url: str, e: httpx.HTTPError, s: FetchSettings) -> FetchError:
    """A FetchError saying which limit or failure ended the exchange."""
    detail = str(e) or type(e).__name__
    if isinstance(e, httpx.ConnectTimeout):
        return FetchError(f"{url}: could not connect within {s.connect_timeout:g} s (connect_timeout); "
                          "the host is down or filtered")
    if isinstance(e, httpx.ReadTimeout):
        return FetchError(f"{url}: the server sent nothing for {s.read_timeout:g} s (read_timeout)")
    if isinstance(e, httpx.TimeoutException):
        return FetchError(f"{url}: timed out ({type(e).__name__})")
    if isinstance(e, httpx.ConnectError):
        return FetchError(f"{url}: cannot connect: {detail}")
    if isinstance(e, httpx.RemoteProtocolError):
        return FetchError(f"{url}: the server broke off the exchange: {detail}")
    return FetchError(f"{url}: {type(e).__name__}: {detail}")


def fetch_once(url: str, state: FetchState = NO_STATE, settings: FetchSettings = FetchSettings(),
               transport: httpx.AsyncBaseTransport | None = None) -> FetchResult:
    """Fetch one URL from synchronous code (``watcher scan URL``); not callable from a running event loop."""
    async def run() -> FetchResult:
        async with Fetcher(settings, transport=transport, clients=1) as fetcher:
            return await fetcher.fetch(url, state)

    return asyncio.run(run())
