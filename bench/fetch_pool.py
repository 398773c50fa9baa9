"""Requests/s of one shared httpx.AsyncClient against the Fetcher's design, at 1-50 requests in flight.

The server is a minimal asyncio HTTP/1.1 keep-alive server on 127.0.0.1 in its own process (so it does not
share the client's event loop) serving a 20 KB feed. Every loop is bounded by ``--requests``.
Two numbers per cell: requests per wall-clock second, and requests per CPU-second of the client process.
The second is what a design costs; it holds steady when other jobs share the cores, the first does not.
Each cell is the best of ``--repeat`` runs.

    python bench/fetch_pool.py [--requests 1500] [--inflight 1,5,10,20,50,100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from watcher.fetch import Fetcher, FetchSettings

BODY = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>"
        + b"<item><title>item</title><description>" + b"x" * 20_000 + b"</description></item></channel></rss>")
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class _Http(asyncio.Protocol):
    """Answers every request on a keep-alive connection with the same feed (requests have no body)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]


def _serve(port_out: multiprocessing.connection.Connection) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Http, "127.0.0.1", 0, backlog=1024)
        port_out.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def _run(get: Callable[[str], Awaitable[int]], url: str, inflight: int,
               total: int) -> tuple[float, float]:
    """(requests per wall second, requests per client CPU second) for ``total`` GETs by ``inflight`` workers."""
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < total:
            await get(url)

    for _ in range(min(20, total)):  # warm up connections
        await get(url)
    counter = itertools.count()
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return total / (time.perf_counter() - start), total / (time.process_time() - cpu)


async def shared_client(url: str, inflight: int, total: int) -> tuple[float, float]:
    """(a) one AsyncClient shared by every request."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=None)) as c:
        async def get(u: str) -> int:
            response = await c.get(u)
            return len(response.content)

        return await _run(get, url, inflight, total)


async def fetcher(url: str, inflight: int, total: int, clients: int | None = None) -> tuple[float, float]:
    """(b) the Fetcher as shipped (default concurrency, 4 slots per client); one host here, so per_host is lifted."""
    settings = FetchSettings(per_host=inflight)
    async with Fetcher(settings, clients=clients) as f:
        async def get(u: str) -> int:
            return len((await f.fetch(u)).content)

        return await _run(get, url, inflight, total)


def main() -> None:
    """Print a table of requests/s per design and requests in flight."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--inflight", default="1,5,10,20,50,100")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inflights = [int(n) for n in args.inflight.split(",")]
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(send,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{receive.recv()}/feed.xml"
        designs: dict[str, Callable[[str, int, int], Coroutine[Any, Any, tuple[float, float]]]] = {
            "shared client": shared_client,
            "Fetcher, 1 client": lambda u, n, t: fetcher(u, n, t, clients=1),
            "Fetcher (shipped)": fetcher,
        }
        print(f"{'in flight:':<20}" + "".join(f"{n:>12}" for n in inflights)
              + "   (requests per wall s / per client CPU s)")
        for name, design in designs.items():
            cells = []
            for n in inflights:
                runs = [asyncio.run(design(url, n, args.requests)) for _ in range(args.repeat)]
                wall, cpu = max(r[0] for r in runs), max(r[1] for r in runs)
                cells.append(f"{wall:.0f}/{cpu:.0f}")
            print(f"{name:<20}" + "".join(f"{c:>12}" for c in cells), flush=True)
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
