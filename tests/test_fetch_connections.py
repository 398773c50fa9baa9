"""How many TCP connections a poll opens, counted by real servers on loopback: kept-alive connections are reused
(304s included), and the per-host limit counts a service on its own port as its own host."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from watcher.fetch import Fetcher, FetchSettings
from watcher.fetch.fetcher import host_key
from watcher.models import FetchResult, FetchState

BODY = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


class Overall:
    """Requests in progress over every server at once, and the most there ever were."""

    lock = threading.Lock()
    busy = 0
    most_busy = 0


class CountingServer(ThreadingHTTPServer):
    """Counts the connections it accepts and the most requests it ever had in progress at once."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.busy = 0
        self.most_busy = 0
        self.lock = threading.Lock()
        self.agents: list[str] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.agents.append(self.headers.get("User-Agent", ""))
        with self.server.lock, Overall.lock:
            self.server.busy += 1
            self.server.most_busy = max(self.server.most_busy, self.server.busy)
            Overall.busy += 1
            Overall.most_busy = max(Overall.most_busy, Overall.busy)
        try:
            threading.Event().wait(0.01)  # long enough for concurrent requests to overlap
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        finally:
            with self.server.lock, Overall.lock:
                self.server.busy -= 1
                Overall.busy -= 1


@contextmanager
def servers(count: int) -> Iterator[list[CountingServer]]:
    with ExitStack() as stack:
        started = []
        for _ in range(count):
            server = CountingServer()
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            stack.callback(thread.join, 5)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            started.append(server)
        yield started


def fetch_all(urls: list[str], states: list[FetchState] | None = None, **settings: Any) -> list[FetchResult]:
    async def run() -> list[FetchResult]:
        async with Fetcher(FetchSettings(**settings)) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(u, s) for u, s in
                                               zip(urls, states or [FetchState()] * len(urls), strict=True))))
    return asyncio.run(run())


def test_not_modified_answers_reuse_the_connection() -> None:
    with servers(1) as (server,):
        urls = [f"{server.base}/f{i}.xml" for i in range(12)]
        first = fetch_all(urls, per_host=2)
        assert {r.status for r in first} == {200}
        assert server.connections <= 2
        server.connections = 0
        again = fetch_all(urls, [FetchState(r.etag, r.last_modified) for r in first], per_host=2)
        assert {r.status for r in again} == {304}
        # One fetcher, one host, at most two requests at a time: two connections, however many 304s.
        assert server.connections <= 2


def test_each_port_is_a_host_of_its_own_and_keeps_its_connections() -> None:
    Overall.most_busy = 0
    with servers(4) as started:
        urls = [f"{s.base}/f{i}.xml" for s in started for i in range(8)]
        results = fetch_all(urls, per_host=2, concurrency=8)
        assert {r.status for r in results} == {200}
        assert all(s.most_busy <= 2 for s in started)
        assert Overall.most_busy > 2  # the ports did not share one limit of 2
        assert all(s.connections <= 2 for s in started)


@pytest.mark.parametrize(("url", "key"), [
    ("https://news.am/rss", "news.am"),
    ("http://news.am/rss", "news.am"),
    ("https://news.am:443/rss", "news.am"),
    ("http://news.am:80/rss", "news.am"),
    ("http://NEWS.am/rss", "news.am"),
    ("http://127.0.0.1:8081/f1.xml", "127.0.0.1:8081"),
    ("http://127.0.0.1:8082/f1.xml", "127.0.0.1:8082"),
    ("https://[::1]:8443/feed", "::1:8443"),
])
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


def test_many_hosts_keep_their_connections_across_clients() -> None:
    """More hosts than one client's share of connections: a host stays on its client, so its kept-alive
    connections are found again instead of each request opening a new one."""
    with servers(12) as started:
        urls = [f"{s.base}/f{i}.xml" for i in range(10) for s in started]
        results = fetch_all(urls, per_host=2, concurrency=8)
        assert {r.status for r in results} == {200}
        assert all(s.most_busy <= 2 for s in started)
        assert sum(s.connections for s in started) <= 3 * len(started)  # was one per request: 120


def test_a_new_user_agent_goes_out_with_the_next_request_on_the_same_connection() -> None:
    with servers(1) as (server,):
        async def run() -> None:
            async with Fetcher(FetchSettings(per_host=1)) as fetcher:
                await fetcher.fetch(f"{server.base}/a.xml")
                fetcher.set_user_agent("Analyst desk/1.0 (+mailto:desk@example.org)")
                await fetcher.fetch(f"{server.base}/b.xml")

        asyncio.run(run())
        assert server.agents[0].startswith("Mozilla/5.0") and "watcher/" in server.agents[0]
        assert server.agents[1] == "Analyst desk/1.0 (+mailto:desk@example.org)"
        assert server.connections == 1
