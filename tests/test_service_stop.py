"""SIGTERM while a poll is in flight: the service exits within 10 s and the next start stores the items."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from watcher.store import Store

REPO = Path(__file__).resolve().parents[1]
RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'
       b"<item><title>Pashinyan</title><link>http://example.org/slow/1</link></item></channel></rss>")


@pytest.fixture
def slow_feed() -> Iterator[tuple[str, threading.Event, list[float]]]:
    """A feed whose first answer hangs until released; the request times are recorded."""
    release = threading.Event()
    seen: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(time.monotonic())
            if len(seen) == 1:
                release.wait(30)
            self.send_response(200)
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow.xml", release, seen
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, stderr=subprocess.PIPE,
                               text=True, cwd=REPO)
    assert process.stderr is not None
    deadline = time.monotonic() + 20
    while "service started" not in process.stderr.readline():
        assert time.monotonic() < deadline and process.poll() is None, "the service did not start"
    return process


def test_sigterm_during_a_poll_exits_promptly_and_the_next_start_loses_nothing(
        tmp_path: Path, slow_feed: tuple[str, threading.Event, list[float]]) -> None:
    url, release, seen = slow_feed
    config = tmp_path / "watchlist.yaml"
    config.write_text(f"defaults: {{every: 1h}}\nsources:\n  - {{name: slow, url: '{url}'}}\n"
                      "actors:\n  - {id: pashinyan, name: Nikol Pashinyan}\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'w.db'}"
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=db, WATCHER_OUTBOX=str(tmp_path / "o"))
    subprocess.run([sys.executable, "-m", "watcher", "db", "upgrade"], env=env, check=True, capture_output=True,
                   cwd=REPO)
    first = start(env)
    try:
        deadline = time.monotonic() + 20
        while not seen:  # the poll is in flight, hanging on the server
            assert time.monotonic() < deadline, "the source was not polled"
            time.sleep(0.1)
        stopped_at = time.monotonic()
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=10) == 0
        assert time.monotonic() - stopped_at < 10
    finally:
        if first.poll() is None:
            first.kill()
    release.set()
    with Store.open(db) as store:
        assert store.source_health()[0].total_items == 0  # the interrupted poll stored nothing ...
        assert store.source_schedules()["slow"].lease_owner is None  # ... and gave its lease back
    second = start(env)  # ... so the next start polls it at once instead of waiting an hour
    try:
        deadline = time.monotonic() + 20
        while True:
            with Store.open(db) as store:
                if store.source_health()[0].total_items == 1:
                    break
            assert time.monotonic() < deadline, "the next start did not poll the interrupted source"
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0
    assert len(seen) == 2
