"""A real webhook receiver on 127.0.0.1 for channel tests: it records what apprise's json:// posts to it, answers
with the status the test sets, and can be stopped and started again on the same port (an outage)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """Everything the receiver was sent, in order, kept across its restarts."""

    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, JSON body)
    status: int = 200  # what the receiver answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [body for _, body in self.posts]

    @property
    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.posts]


def free_port() -> int:
    """A port nothing listens on now (the receiver is started on it later, or never: an outage)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def receiver(port: int, received: Received) -> Iterator[Received]:
    """Receive on 127.0.0.1:``port`` until the block ends; every POST whose body is JSON is recorded."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = received.status
            if status < 300:
                with received.lock:
                    received.posts.append((self.path, json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
