"""The optional HTTP endpoint of `watcher run`: /healthz and /metrics, over a real socket."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from watcher.feedserver import serve_folder

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Pashinyan meets Aliyev</title><link>http://example.org/1</link></item>
<item><title>Weather</title><link>http://example.org/2</link></item></channel></rss>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_healthz_and_metrics_report_a_running_service(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire.xml").write_text(FEED, encoding="utf-8")
    port = free_port()
    with serve_folder(feeds) as base:
        config = tmp_path / "watchlist.yaml"
        config.write_text(f"sources:\n  - {{name: Wire, url: '{base}/wire.xml'}}\n"
                          "actors:\n  - {id: pashinyan, name: Nikol Pashinyan}\n", encoding="utf-8")
        env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
                   WATCHER_OUTBOX=str(tmp_path / "outbox"), WATCHER_HTTP=f"127.0.0.1:{port}")
        subprocess.run([sys.executable, "-m", "watcher", "db", "upgrade"], env=env, check=True, capture_output=True)
        process = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            metrics = ""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and 'watcher_items_new_total{source="Wire"} 2.0' not in metrics:
                time.sleep(0.3)
                try:
                    metrics = get(f"http://127.0.0.1:{port}/metrics")[1]
                except OSError:
                    continue  # not listening yet
            assert 'watcher_items_new_total{source="Wire"} 2.0' in metrics, metrics[-2000:]
            assert 'watcher_matches_new_total{source="Wire"} 1.0' in metrics
            assert "watcher_poll_seconds_bucket" in metrics
            status, body = get(f"http://127.0.0.1:{port}/healthz")
            health = json.loads(body)
            assert status == 200 and health["ok"] is True and health["uptime_s"] >= 0
            assert get(f"http://127.0.0.1:{port}/nothing")[0] == 404
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
