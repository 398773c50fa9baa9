"""How many requests a second the feed server answers: a raw asyncio keep-alive client, so the client's own
cost stays small. Reported beside the results, since a slow server would make every tool look slow."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit


async def _client(urls: list[str], start: int, count: int, step: int) -> int:
    """``count`` GETs over one connection per host; returns the bytes received."""
    connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
    received = 0
    for k in range(count):
        parts = urlsplit(urls[(start + k * step) % len(urls)])
        port = parts.port or 80
        if port not in connections:
            connections[port] = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = connections[port]
        writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        received += len(head) + len((await reader.readexactly(length)) if length else b"")
    for _, writer in connections.values():
        writer.close()
    return received


def requests_per_second(urls: list[str], total: int = 2000, connections: int = 20) -> tuple[float, float]:
    """(requests per second, MB per second) for ``total`` full GETs by ``connections`` concurrent clients."""
    share = max(1, total // connections)

    async def main() -> int:
        return sum(await asyncio.gather(*(_client(urls, c, share, connections) for c in range(connections))))

    started = time.perf_counter()
    received = asyncio.run(main())
    seconds = time.perf_counter() - started
    return share * connections / seconds, received / seconds / 1e6
