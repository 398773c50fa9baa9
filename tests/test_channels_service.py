"""The service delivers an immediate alert and a daily digest to a webhook on 127.0.0.1 exactly once, through a
receiver outage and restarts of the service (its clock stands still at the moment each run is given)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from webhook_server import Received, free_port, receiver

from watcher.config import load_watchlist
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store
from watcher.store.migrate import upgrade

CONFIG = """\
defaults: {{timezone: UTC}}
sources:
  - {{name: Wire, url: "http://127.0.0.1:9/wire.xml", enabled: false}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - {{id: alert, title: Alert, notify: ["json://127.0.0.1:{port}/alert"], schedule: immediate}}
  - {{id: daily, title: Daily, notify: ["json://127.0.0.1:{port}/daily"], schedule: "daily 07:00"}}
"""
T0 = datetime(2026, 11, 20, 6, 58, tzinfo=UTC)  # two minutes before the daily digest's fire time


def add_item(url: str, config: Path, title: str, at: datetime) -> None:
    slug = title.lower().replace(" ", "-")
    item = Item(key=f"http://example.org/{slug}", title=title, text="", link=f"http://example.org/{slug}",
                published=at)
    with Store.open(url) as store:
        store.record_success("Wire", now=at, status=200, etag=None, last_modified=None, items=[item],
                             matches={item.key: compile_matcher(load_watchlist(config).entries).match(item)})


def run(config: Path, url: str, tmp_path: Path, now: datetime, done: Callable[[Service], bool]) -> None:
    """Start the service with its clock at ``now``, wait until ``done`` (and one digest and delivery round), stop."""
    settings = Settings(database_url=url, outbox=tmp_path / "outbox")

    async def scenario() -> None:
        service = Service(config, settings, load_watchlist(config), clock=lambda: now)
        task = asyncio.create_task(service.run())
        deadline = time.monotonic() + 30
        while not (service.digests_checked and service.deliveries_checked and done(service)):
            assert time.monotonic() < deadline, "the service did not get there"
            await asyncio.sleep(0.05)
        service.stop()
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())


def statuses(url: str) -> dict[str, list[str]]:
    with Store.open(url) as store:
        out: dict[str, list[str]] = {}
        for d in store.deliveries():
            out.setdefault(d.digest_id, []).append(d.status)
        return out


def attempted(url: str) -> bool:
    with Store.open(url) as store:
        return any(d.attempts for d in store.deliveries())


def test_an_alert_and_a_daily_digest_reach_the_webhook_once_across_an_outage_and_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    port = free_port()
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG.format(port=port), encoding="utf-8")
    with Store.open(url) as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=T0 - timedelta(days=1))
    add_item(url, config, "Pashinyan announces a referendum", T0 - timedelta(hours=1))
    got = Received()

    # The receiver is down: the alert is queued and its first attempt fails.
    run(config, url, tmp_path, T0, lambda s: attempted(url))
    assert statuses(url) == {"alert": ["pending"]}

    with receiver(port, got):
        # Restarted past the retry's backoff and the daily fire time: the held alert goes, and the daily digest
        # (two jobs of the service may send them in either order: they go to different channels).
        run(config, url, tmp_path, T0 + timedelta(minutes=2),
            lambda s: statuses(url) == {"alert": ["sent"], "daily": ["sent"]})
        # Restarted again an hour later: the alert's period closes with nothing new, and nothing is sent twice.
        run(config, url, tmp_path, T0 + timedelta(hours=1), lambda s: True)
        assert sorted(got.paths) == ["/alert", "/daily"]
        # News again: one more alert, about it alone.
        add_item(url, config, "Pashinyan meets the referendum commission", T0 + timedelta(hours=1, minutes=10))
        run(config, url, tmp_path, T0 + timedelta(hours=2), lambda s: len(got.messages) == 3)
        run(config, url, tmp_path, T0 + timedelta(hours=2, minutes=1), lambda s: True)

    assert sorted(got.paths[:2]) == ["/alert", "/daily"] and got.paths[2] == "/alert"
    by_path = {path: message for path, message in got.posts[:2]}
    first, daily, second = by_path["/alert"], by_path["/daily"], got.messages[2]
    assert "Pashinyan announces a referendum" in first["message"]
    assert "Pashinyan announces a referendum" in daily["message"] and daily["title"].startswith("Daily: 1 item")
    assert "referendum commission" in second["message"] and "announces" not in second["message"]
    assert statuses(url) == {"alert": ["sent", "sent"], "daily": ["sent"]}
