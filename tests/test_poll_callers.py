"""Every caller polls through the one path: a source that moved for good (301) is asked at its new URL from the
second poll on, whether `watcher poll`, the function `watcher demo` calls, or the service polls it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sources_server import Page, PagesServer, pages_server

from watcher.commands.poll import poll_now
from watcher.config import load_watchlist
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store, upgrade

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>
<item><title>Pashinyan visits Gyumri</title><link>https://news.example/1</link></item></channel></rss>"""


@pytest.fixture
def moved() -> Iterator[PagesServer]:
    """/old.xml moved for good to /new.xml."""
    with pages_server({"/new.xml": Page(FEED, content_type="application/rss+xml")}) as server:
        server.pages["/old.xml"] = Page(b"", 301, headers=(("Location", server.url("/new.xml")),))
        yield server


def setup(tmp_path: Path, server: PagesServer, every: str = "30m") -> tuple[Path, str]:
    config = tmp_path / "watchlist.yaml"
    config.write_text(f"""\
defaults: {{every: {every}}}
sources:
  - {{name: desk, url: "{server.url('/old.xml')}"}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
""", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    return config, url


def test_watcher_poll_asks_the_new_url_from_the_second_poll_on(tmp_path: Path, moved: PagesServer) -> None:
    config, url = setup(tmp_path, moved)
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=url, WATCHER_OUTBOX=str(tmp_path / "o"))
    for _ in range(3):
        done = subprocess.run([sys.executable, "-m", "watcher", "poll"], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    assert moved.seen == ["/old.xml", "/new.xml", "/new.xml", "/new.xml"]
    assert "moved permanently" in subprocess.run([sys.executable, "-m", "watcher", "sources"], env=env,
                                                 capture_output=True, text=True, timeout=60).stdout


def test_the_demos_poll_asks_the_new_url_from_the_second_poll_on(tmp_path: Path, moved: PagesServer) -> None:
    config, url = setup(tmp_path, moved)
    watchlist = load_watchlist(config)
    with Store.open(url) as store:
        for _ in range(2):
            [outcome] = poll_now(watchlist, store, watchlist.sources)
            assert outcome.status != "error"
    assert moved.seen == ["/old.xml", "/new.xml", "/new.xml"]


def test_the_service_asks_the_new_url_from_the_second_poll_on(tmp_path: Path, moved: PagesServer) -> None:
    config, url = setup(tmp_path, moved, every="1s")
    settings = Settings(database_url=url, outbox=tmp_path / "outbox")

    async def scenario() -> None:
        service = Service(config, settings, load_watchlist(config))
        task = asyncio.create_task(service.run())
        deadline = time.monotonic() + 30
        while moved.seen.count("/new.xml") < 3:
            assert time.monotonic() < deadline, f"polled only {moved.seen}"
            await asyncio.sleep(0.1)
        service.stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    assert moved.seen[:2] == ["/old.xml", "/new.xml"]
    assert moved.seen.count("/old.xml") == 1
