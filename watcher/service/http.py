"""The optional HTTP endpoint (WATCHER_HTTP=host:port): ``/healthz`` and ``/metrics``, on asyncio streams.

Small on purpose: two GET routes, one request per connection, no framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from watcher.errors import ConfigError
from watcher.metrics import Metrics

log = logging.getLogger("watcher.http")
Health = Callable[[], tuple[bool, dict[str, object]]]


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9108`` for IPv6) as (host, port); ConfigError naming WATCHER_HTTP otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"WATCHER_HTTP={text!r}: write host:port, e.g. 127.0.0.1:9108")
    return host.strip("[]") or "127.0.0.1", int(port)


async def start_http(listen: str, metrics: Metrics, health: Health) -> asyncio.Server:
    """Serve /healthz (200 when healthy, 503 otherwise, JSON either way) and /metrics on ``listen``."""
    host, port = parse_listen(listen)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (line := await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                del line  # headers are not needed
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, body, kind = 405, b"method not allowed\n", "text/plain"
            elif path == "/metrics":
                body, kind = metrics.render()
                status = 200
            elif path == "/healthz":
                ok, facts = health()
                status, kind = (200 if ok else 503), "application/json"
                body = json.dumps({"ok": ok, **facts}, default=str).encode() + b"\n"
            else:
                status, body, kind = 404, b"not found: try /healthz or /metrics\n", "text/plain"
            head = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            writer.write(head + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeDecodeError):
            log.debug("http: a client hung up or sent nonsense; it gets no answer")
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(handle, host, port)
    except OSError as e:
        raise ConfigError(f"WATCHER_HTTP={listen!r}: cannot listen there: {e.strerror}") from None
    log.info("HTTP endpoint on http://%s:%d (/healthz, /metrics)", host, port)
    return server


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
