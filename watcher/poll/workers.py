"""Worker processes for a large poll: each fetches, parses and matches a share of the sources.

One Python process is bound to one core, and parsing and matching a thousand feeds is CPU work, so the poll
forks workers (the plan and the watchlist are inherited, not read again) and keeps the writing in the
parent: one writer, batched transactions, no lock contention. Sources are shared out by host, so the
fetcher's per-host politeness limit still holds across workers. Where ``fork`` is not available (or the
database lives in this process's memory) the poll runs in one process instead.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from watcher.fetch import Fetcher, FetchSettings
from watcher.poll.steps import Fetched, ItemMatcher, Job, poll_jobs
from watcher.store import Store

log = logging.getLogger("watcher.poll")
SEND_EVERY = 20  # results per message from a worker...
SEND_WITHIN = 0.05  # ... or sooner, in seconds, so the parent's writes keep pace


def can_fork() -> bool:
    """Whether workers can be forked here (Linux; macOS's fork is unsafe with system frameworks)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def split_by_host(jobs: Sequence[Job], count: int) -> list[list[Job]]:
    """``jobs`` in ``count`` shares of near-equal size, all of one host's jobs in the same share."""
    by_host: dict[str, list[Job]] = {}
    for job in jobs:
        by_host.setdefault(urlsplit(job.url or job.site or "").netloc.lower(), []).append(job)
    shares: list[list[Job]] = [[] for _ in range(count)]
    for group in sorted(by_host.values(), key=len, reverse=True):
        min(shares, key=len).extend(group)
    return [share for share in shares if share]


class Workers:
    """Forked workers polling ``shares``; ``async for batch in workers.results()`` yields their results."""

    def __init__(self, shares: Sequence[Sequence[Job]], *, matcher: ItemMatcher, settings: FetchSettings,
                 store: Store) -> None:
        self._shares = shares
        self._matcher = matcher
        self._settings = settings
        self._store = store
        self._processes: list[tuple[BaseProcess, Connection]] = []

    def __enter__(self) -> Self:
        context = multiprocessing.get_context("fork")
        for share in self._shares:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(share, self._matcher, self._settings, self._store, sender),
                                      name="watcher-poll-worker", daemon=True)
            process.start()
            sender.close()  # the child holds the only writing end: its exit is our EOF
            self._processes.append((process, receiver))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for process, receiver in self._processes:
            receiver.close()
            if exc is not None:
                process.terminate()
            process.join(10)
        self._processes = []

    async def results(self, take: Callable[[Fetched], None]) -> list[str]:
        """Hand every result to ``take`` as it arrives; return the sources of a worker that died (killed, out of
        memory) before reporting them. RuntimeError when a worker raised: a bug, not a feed's fault."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[int, tuple[str, Any]]] = asyncio.Queue()
        # A thread per pipe drains it while this thread writes to the database (sqlite3 and psycopg release the
        # GIL): a worker must never wait on a full pipe while the parent commits a batch.
        readers = [threading.Thread(target=_drain, args=(index, receiver, inbox, loop), daemon=True,
                                    name="watcher-poll-reader") for index, (_, receiver) in enumerate(self._processes)]
        for reader in readers:
            reader.start()
        reported: list[set[str]] = [set() for _ in self._processes]
        ended: dict[int, str] = {}
        failure: str | None = None
        try:
            while len(ended) < len(self._processes):
                index, (kind, payload) = await inbox.get()
                if kind == "results":
                    for fetched in payload:
                        reported[index].add(fetched.source)
                        take(fetched)
                    continue
                ended[index] = kind
                if kind == "failed":
                    failure = failure or payload
        finally:
            for reader in readers:
                reader.join(1)
        if failure is not None:
            raise RuntimeError(f"a poll worker failed:\n{failure}")
        lost: list[str] = []
        for index, (process, _) in enumerate(self._processes):
            process.join(10)
            if ended[index] != "done":
                missing = [job.source for job in self._shares[index] if job.source not in reported[index]]
                log.error("a poll worker ended without finishing (exit code %s); %d sources were not polled and "
                          "stay due", process.exitcode, len(missing))
                lost += missing
        return lost


def _drain(index: int, receiver: Connection, inbox: asyncio.Queue[tuple[int, tuple[str, Any]]],
           loop: asyncio.AbstractEventLoop) -> None:
    """Pass a worker's messages to the event loop until its last word (or its pipe's end: it died)."""
    while True:
        try:
            message = receiver.recv()
        except (EOFError, OSError):
            message = ("gone", None)
        loop.call_soon_threadsafe(inbox.put_nowait, (index, message))
        if message[0] != "results":
            return


def _work(share: Sequence[Job], matcher: ItemMatcher, settings: FetchSettings, store: Store, sender: Connection) -> None:
    """A worker's life: poll its share, stream the results, say how it ended."""
    # The parent's event loop may have installed signal handlers that write to its wakeup pipe: inherited, a
    # SIGTERM sent to this worker would reach the parent as its own (a service would stop).
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    store.after_fork()
    try:
        asyncio.run(_poll_share(share, matcher, settings, store, sender))
        sender.send(("done", None))
    except BaseException:
        sender.send(("failed", traceback.format_exc()))
    finally:
        sender.close()
        store.close()


async def _poll_share(share: Sequence[Job], matcher: ItemMatcher, settings: FetchSettings, store: Store,
                      sender: Connection) -> None:
    buffer: list[Fetched] = []
    sent = time.monotonic()

    def emit(fetched: Fetched) -> None:
        nonlocal buffer, sent
        buffer.append(fetched)
        if len(buffer) >= SEND_EVERY or time.monotonic() - sent >= SEND_WITHIN:
            sender.send(("results", buffer))
            buffer, sent = [], time.monotonic()

    async with Fetcher(settings) as fetcher:
        await poll_jobs(share, fetcher=fetcher, matcher=matcher, known=store.recent_keys, emit=emit)
    if buffer:
        sender.send(("results", buffer))
