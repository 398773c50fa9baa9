"""The service: polls on schedule, reloads an edited watchlist (keeping the last good one), stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from watcher.config import load_watchlist
from watcher.feedserver import serve_folder
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store
from watcher.store.migrate import upgrade

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>
<item><title>{name}: Pashinyan visits Stepanakert</title><link>http://example.org/{name}/1</link></item>
</channel></rss>"""
CONFIG = """\
defaults: {{every: 1s}}
sources:
{sources}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
"""


def config_text(base: str, names: list[str]) -> str:
    lines = "\n".join(f"  - {{name: {n}, url: '{base}/{n}.xml'}}" for n in names)
    return CONFIG.format(sources=lines)


async def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


def two_feeds(tmp_path: Path) -> tuple[Path, str]:
    """A folder with the feeds "one" and "two", and the URL of an empty database at the newest schema."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for name in ("one", "two"):
        (feeds / f"{name}.xml").write_text(FEED.format(name=name), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    return feeds, url


def items_per_source(url: str) -> dict[str, int]:
    """Items stored per active source."""
    with Store.open(url) as store:
        return {h.name: h.total_items for h in store.source_health() if h.active}


def test_service_polls_reloads_and_keeps_last_good_watchlist(tmp_path: Path) -> None:
    feeds, url = two_feeds(tmp_path)
    settings = Settings(database_url=url, outbox=tmp_path / "outbox")
    config = tmp_path / "watchlist.yaml"

    def polled() -> dict[str, int]:
        return items_per_source(url)

    with serve_folder(feeds) as base:
        config.write_text(config_text(base, ["one"]), encoding="utf-8")

        async def scenario() -> None:
            service = Service(config, settings, load_watchlist(config))
            task = asyncio.create_task(service.run())
            await wait_for(lambda: polled().get("one") == 1)
            # An added source is polled without a restart.
            config.write_text(config_text(base, ["one", "two"]), encoding="utf-8")
            os.utime(config, (time.time() + 1, time.time() + 1))
            await wait_for(lambda: polled().get("two") == 1)
            # A broken edit is refused; the service goes on with the last good watchlist.
            config.write_text("sources: [oops", encoding="utf-8")
            os.utime(config, (time.time() + 2, time.time() + 2))
            assert service.reload(force=True) is False
            assert [s.name for s in service.watchlist.sources] == ["one", "two"]
            # Fixed again: applied, with a User-Agent of its own for the next requests.
            config.write_text(config_text(base, ["two"]).replace("{every: 1s}", "{every: 1s, user_agent: Desk/2.0}"),
                              encoding="utf-8")
            assert service.reload(force=True) is True
            assert [s.name for s in service.watchlist.sources] == ["two"]
            assert service.fetcher is not None and service.fetcher.user_agent == "Desk/2.0"
            service.stop()
            await asyncio.wait_for(task, 10)

        asyncio.run(scenario())
    assert polled() == {"two": 1}


def test_sigterm_stops_the_service_promptly(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n  - {name: nowhere, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}",
               WATCHER_OUTBOX=str(tmp_path / "outbox"))
    subprocess.run([sys.executable, "-m", "watcher", "db", "upgrade"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        started = False
        assert process.stderr is not None
        while time.monotonic() < deadline and not started:
            started = "service started" in process.stderr.readline()
        assert started, "the service did not start"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            pytest.fail("the service did not stop within 10 seconds of SIGTERM")
