"""Three ``watcher run`` processes share one PostgreSQL database: each due poll happens once, each digest is sent once.

The processes share a fake clock running SCALE times faster than real time (WATCHER_TEST_CLOCK), so about
40 seconds cover 20 minutes of schedule: sources due every 2 minutes, a digest every 5. One process is
killed (SIGKILL) mid-run; its leases run out and the others take its sources over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import pytest
from smtp_server import running_smtp_server
from test_store_fixtures import _postgres_schema_url

from watcher.store import Store, upgrade

SCALE = 30.0
INTERVAL_REAL = 120 / SCALE  # `every: 2m`
LEASE_REAL = 300 / SCALE  # the service's 5-minute lease
TICK_REAL = 2.0  # the service's poll tick, in real seconds
RUN_FOR = 40.0
KILL_AT = 15.0
SOURCES = [f"s{i}" for i in range(6)]
REPO = Path(__file__).resolve().parents[1]


class FeedLog:
    """A feed server on loopback whose every answer brings one new item; it records each request."""

    def __init__(self) -> None:
        self.requests: dict[str, list[float]] = defaultdict(list)
        self.served: dict[str, set[str]] = defaultdict(set)
        self.lock = threading.Lock()

    def feed(self, name: str) -> bytes:
        with self.lock:
            self.requests[name].append(time.monotonic())
            n = len(self.requests[name])
            links = [f"http://example.org/{name}/{k}" for k in range(max(1, n - 2), n + 1)]
            self.served[name].update(links)
        items = "".join(f"<item><title>{name} {k}: Pashinyan speaks</title><link>{link}</link></item>"
                        for k, link in enumerate(links))
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


@pytest.fixture
def feeds() -> Iterator[tuple[str, FeedLog]]:
    log = FeedLog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = log.feed(self.path.strip("/").removesuffix(".xml"))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    yield from _postgres_schema_url(postgres_url)


def test_three_services_poll_once_per_due_time_and_send_each_digest_once(
        tmp_path: Path, pg_url: str, feeds: tuple[str, FeedLog]) -> None:
    base, log = feeds
    upgrade(pg_url)
    config = tmp_path / "watchlist.yaml"
    config.write_text("defaults: {every: 2m}\nsources:\n"
                      + "".join(f"  - {{name: {n}, url: '{base}/{n}.xml'}}\n" for n in SOURCES)
                      + "actors:\n  - {id: pashinyan, name: Nikol Pashinyan}\n"
                      + "digests:\n  - {id: ops, title: Ops, to: [ops@example.org], schedule: '*/5 * * * *'}\n",
                      encoding="utf-8")
    with running_smtp_server() as smtp:
        env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=pg_url, WATCHER_SMTP_URL=smtp.url,
                   WATCHER_TEST_CLOCK=f"{time.time()}*{SCALE}", PYTHONPATH=str(REPO))
        logs = [open(tmp_path / f"p{i}.log", "w+", encoding="utf-8") for i in range(3)]  # noqa: SIM115
        processes = [subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, stderr=f, cwd=tmp_path)
                     for f in logs]
        try:
            started = time.monotonic()
            time.sleep(KILL_AT)
            processes[0].kill()  # no goodbye: its leases must run out
            processes[0].wait(5)
            time.sleep(RUN_FOR - KILL_AT)
            for p in processes[1:]:
                p.send_signal(signal.SIGTERM)
            for p in processes[1:]:
                assert p.wait(10) == 0, "a service did not stop within 10 s of SIGTERM"
            elapsed = time.monotonic() - started
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
        outputs = []
        for f in logs:
            f.seek(0)
            outputs.append(f.read())
            f.close()
        messages = list(smtp.messages)
    for out in outputs:
        assert "service started" in out and "Traceback" not in out, out[-3000:]

    # Each due time polled once: two polls of a source are never closer than its interval ...
    for name in SOURCES:
        times = log.requests[name]
        gaps = [b - a for a, b in pairwise(times)]
        assert gaps and min(gaps) >= INTERVAL_REAL * 0.95, (name, gaps)
        # ... and none is forgotten: at worst a tick late, or a lease late after the kill.
        assert max(gaps) <= INTERVAL_REAL * 1.1 + 2 * TICK_REAL + LEASE_REAL + 1, (name, gaps)
        assert len(times) >= elapsed / (INTERVAL_REAL + TICK_REAL) - 3, (name, len(times))
    with Store.open(pg_url) as store:
        stored = {h.name: h.total_items for h in store.source_health()}
        deliveries = store.deliveries(digest_id="ops")
    # Nothing lost: every item any answer carried was stored.
    assert stored == {name: len(log.served[name]) for name in SOURCES}
    # Each digest period closed once (contiguous periods) and each delivery sent exactly once.
    assert len(deliveries) >= 2, deliveries
    ends = [d.period.end for d in deliveries]
    assert len(set(ends)) == len(ends)
    assert all(d.period.start == prev.period.end for prev, d in pairwise(deliveries))
    assert all(d.status == "sent" and d.attempts == 1 for d in deliveries)
    assert len(messages) == len(deliveries)
    assert all(e.minute % 5 == 0 and e.second == 0 for e in ends)
