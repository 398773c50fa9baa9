"""A tiny real HTTP server on 127.0.0.1 that serves a table of pages, changeable while it runs.

For the kinds-of-source tests: a site's homepage and articles, a "Google News" search feed, a "YouTube"
channel feed, and hostile documents. ``with pages_server({"/": Page(html)}) as server: server.url("/")``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Page:
    """One response: body, status, content type and extra headers."""

    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before the answer: a slow server


@dataclass
class PagesServer:
    """A running server: its base URL, its pages (path -> Page; edit freely) and the paths it was asked for."""

    base_url: str
    pages: dict[str, Page]
    seen: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` here."""
        return self.base_url + path


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: PagesServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""

    def do_GET(self) -> None:
        """Serve the page of the path (the query is ignored), or 404."""
        path = urlsplit(self.path).path
        self.server.state.seen.append(self.path)
        page = self.server.state.pages.get(path, Page(b"not found", 404, "text/plain"))
        time.sleep(page.delay)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(page.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


@contextmanager
def pages_server(pages: dict[str, Page]) -> Iterator[PagesServer]:
    """Serve ``pages`` on a free port of 127.0.0.1 for the duration of a ``with`` block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    server.state = PagesServer(f"http://{host!s}:{port}", pages)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
