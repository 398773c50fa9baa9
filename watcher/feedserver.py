"""A small static feed server on loopback, for `watcher demo` and for tests: serves files from a
folder with ETag and Last-Modified and answers conditional requests with 304, as real feeds do."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_TYPES = {".xml": "application/rss+xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
          ".html": "text/html; charset=utf-8", ".opml": "text/x-opml"}


def _handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            name = self.path.split("?", 1)[0].lstrip("/")
            path = (root / name).resolve()
            if root not in path.parents or not path.is_file():
                self._reply(404, b"not found\n", {"Content-Type": "text/plain"})
                return
            body = path.read_bytes()
            stat = path.stat()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = formatdate(int(stat.st_mtime), usegmt=True)
            headers = {"Content-Type": _TYPES.get(path.suffix, "application/xml"), "ETag": etag,
                       "Last-Modified": modified}
            if self._not_modified(etag, int(stat.st_mtime)):
                self._reply(304, b"", headers)
            else:
                self._reply(200, body, headers)

        def _not_modified(self, etag: str, mtime: int) -> bool:
            if (match := self.headers.get("If-None-Match")) is not None:
                return etag in {tag.strip() for tag in match.split(",")}
            if (since := self.headers.get("If-Modified-Since")) is not None:
                try:
                    return mtime <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the poller's own log says what happened."""

    return Handler


@contextmanager
def serve_folder(root: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``root`` over HTTP on loopback while the block runs; yields the base URL (no trailing slash)."""
    server = ThreadingHTTPServer((host, port), _handler(root.resolve()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="feedserver", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
