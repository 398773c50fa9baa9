"""Digest periods under the faults of a year of running: a clock put back, restarts just after a fire time, a
crash loop, dates at the ends of the calendar. Nothing found is ever left out of every digest."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.config import load_watchlist, parse_watchlist
from watcher.match import compile_matcher
from watcher.models import Item, Period
from watcher.periods import close_due, close_period, preview
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store
from watcher.store.migrate import upgrade

CONFIG = """\
defaults: {{timezone: {zone}}}
sources:
  - {{name: Wire, url: "http://127.0.0.1:9/wire.xml"}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - {{id: daily, title: Daily, to: [analyst@example.org], schedule: "{schedule}"}}
"""
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    with Store.open(url) as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=T0)
    yield url


def add_item(store: Store, title: str, *, found: datetime, published: datetime | None = None) -> None:
    watchlist = parse_watchlist(CONFIG.format(zone="UTC", schedule="daily 07:00"))
    item = Item(key=f"http://example.org/{title}", title=title, text="", link=f"http://example.org/{title}",
                published=published or found)
    matches = compile_matcher(watchlist.entries).match(item)
    assert matches
    store.record_success("Wire", now=found, status=200, etag=None, last_modified=None, items=[item],
                         matches={item.key: matches})


def titles(store: Store, period_end: datetime) -> list[str]:
    """The lines naming Pashinyan in the message of the period ending at ``period_end``."""
    (delivery,) = [d for d in store.deliveries(digest_id="daily") if d.period.end == period_end]
    return [line for line in delivery.message.decode("utf-8", "replace").splitlines() if "Pashinyan" in line]


def test_a_clock_put_back_after_running_a_day_ahead_leaves_no_match_inside_a_closed_period(db: str) -> None:
    config = CONFIG.format(zone="UTC", schedule="daily 07:00")
    watchlist = parse_watchlist(config)
    daily = watchlist.digests[0]
    ahead = timedelta(days=1)
    with Store.open(db) as store:
        add_item(store, "Pashinyan before", found=T0 + timedelta(hours=1) + ahead)
        # The service's clock runs a day ahead: it closes tomorrow's period, which is sent.
        (sent,) = close_due(store, watchlist, daily, owner="a", now=T0 + timedelta(hours=2) + ahead,
                            started_at=T0, sender="w@example.org") or []
        assert sent.period.end == T0 + ahead
        # The clock is put right; what is found now is earlier than the end of the period just closed.
        add_item(store, "Pashinyan after the correction", found=T0 + timedelta(hours=3))
        nothing_due = close_due(store, watchlist, daily, owner="a", now=T0 + timedelta(hours=4), started_at=T0,
                                sender="w@example.org")
        assert nothing_due is None
        later = close_due(store, watchlist, daily, owner="a", now=T0 + 2 * ahead + timedelta(minutes=1),
                          started_at=T0, sender="w@example.org")
        assert later is not None
        (next_one,) = later
        assert next_one.period.start == sent.period.end  # contiguous
        assert any("after the correction" in line for line in titles(store, next_one.period.end))
        # Every match found is inside exactly one closed period.
        periods = sorted({d.period for d in store.deliveries(digest_id="daily")}, key=lambda p: p.end)
        found = [m.found_at for m in store.matches_since(datetime.min.replace(tzinfo=UTC))]
        assert len(found) == 2
        assert all(sum(p.start < f <= p.end for p in periods) == 1 for f in found)


def test_a_period_never_ends_after_the_moment_it_is_closed(db: str) -> None:
    watchlist = parse_watchlist(CONFIG.format(zone="UTC", schedule="daily 07:00"))
    with Store.open(db) as store:
        for now in (T0 + timedelta(days=1, minutes=3), T0 + timedelta(days=2, seconds=1)):
            queued = close_due(store, watchlist, watchlist.digests[0], owner="a", now=now, started_at=T0,
                               sender="w@example.org")
            assert queued is not None and all(d.period.end <= now for d in queued)


def run_service_once(config: Path, url: str, tmp_path: Path, now: datetime) -> None:
    """Start the service with its clock standing at ``now``, let its digest job run once, stop it."""
    settings = Settings(database_url=url, outbox=tmp_path / "outbox")

    async def scenario() -> None:
        service = Service(config, settings, load_watchlist(config), clock=lambda: now)
        task = asyncio.create_task(service.run())
        deadline = time.monotonic() + 20
        while not service.digests_checked:
            assert time.monotonic() < deadline, "the digest job did not run"
            await asyncio.sleep(0.05)
        service.stop()
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())


def test_a_restart_just_after_a_fire_time_still_sends_that_digest(db: str, tmp_path: Path) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG.format(zone="Asia/Yerevan", schedule="daily 07:00"), encoding="utf-8")
    fire = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 07:00 in Yerevan
    run_service_once(config, db, tmp_path, fire - timedelta(minutes=2))  # started before the fire time ...
    with Store.open(db) as store:
        assert store.last_period_end("daily") is None
    run_service_once(config, db, tmp_path, fire + timedelta(minutes=1))  # ... and restarted just after it
    with Store.open(db) as store:
        assert store.last_period_end("daily") == fire


def test_an_hourly_digest_closes_in_a_crash_loop(db: str) -> None:
    watchlist = parse_watchlist(CONFIG.format(zone="UTC", schedule="hourly"))
    start = T0 + timedelta(minutes=10)
    with Store.open(db) as store:
        closed = []
        for n in range(6):  # a process that dies 40 minutes after each start
            now = start + timedelta(minutes=40 * n)
            queued = close_due(store, watchlist, watchlist.digests[0], owner=f"p{n}", now=now, started_at=now,
                               sender="w@example.org")
            if queued is not None:
                closed.append(store.last_period_end("daily"))
        assert closed and closed[0] == T0 + timedelta(hours=1)


@pytest.mark.parametrize("zone", ["America/New_York", "Etc/GMT+12", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_items_dated_at_the_ends_of_the_calendar_never_crash_a_digest(
        zone: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    upgrade(url)
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG.format(zone=zone, schedule="daily 07:00"), encoding="utf-8")
    now = datetime.now(UTC)
    with Store.open(url) as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=now)
        # Stored before the parser clamped such dates, or by anything else that writes items.
        add_item(store, "Pashinyan visits a Gyumri textile factory", found=now - timedelta(hours=2),
                 published=datetime(1, 1, 1, tzinfo=UTC))
        add_item(store, "Budget hearing in parliament without Pashinyan", found=now - timedelta(hours=1),
                 published=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_OUTBOX", str(tmp_path / "outbox"))
    for fmt in ("text", "html", "json"):
        assert main(["digest", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "Gyumri textile" in out and "Budget hearing" in out
        if fmt == "json":
            json.loads(out)
    for since in ("0001-01-01", "9999-12-31T23:59:59-12:00", "99999999d"):
        assert main(["digest", "--since", since]) == 0, since
        capsys.readouterr()
    assert main(["digest", "--send"]) == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_preview_keeps_a_period_inside_the_calendar(db: str) -> None:
    watchlist = parse_watchlist(CONFIG.format(zone="Etc/GMT+12", schedule="weekly mon 07:00"))
    with Store.open(db) as store:
        built = preview(store, watchlist, watchlist.digests[0], now=T0, since=datetime(1, 1, 1, tzinfo=UTC),
                        until=datetime(9999, 12, 31, tzinfo=UTC))
        assert built.period.start.year == 1970 and built.period.end.year < 9999
        close_period(store, watchlist, watchlist.digests[0], now=T0, sender="w@example.org")


@pytest.mark.parametrize(("zone", "schedule", "now"), [
    ("Europe/Berlin", "hourly", datetime(2026, 10, 25, 1, 10, tzinfo=UTC)),  # 02:10, the second time
    ("Europe/Berlin", "daily 02:30", datetime(2026, 10, 25, 1, 40, tzinfo=UTC)),  # 02:40 CET, the second time
    ("America/New_York", "*/30 * * * *", datetime(2026, 11, 1, 6, 5, tzinfo=UTC)),  # 01:05 EST, the second time
])
def test_the_service_closes_digests_in_the_hour_the_clocks_go_back(zone: str, schedule: str, now: datetime,
                                                                     db: str, tmp_path: Path) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG.format(zone=zone, schedule=schedule), encoding="utf-8")
    with Store.open(db) as store:  # the last digest went out a day before
        store.record_period("daily", Period(now - timedelta(days=2), now - timedelta(days=1)), {},
                            now=now - timedelta(days=1))
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=db, WATCHER_OUTBOX=str(tmp_path / "out"),
               WATCHER_TEST_CLOCK=f"{now.timestamp()}*0")  # stands still at now
    process = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        end = before = now - timedelta(days=1)
        while end == before and time.monotonic() < deadline:
            time.sleep(0.3)
            with Store.open(db) as store:
                end = store.last_period_end("daily") or before
        assert end != before, "the service did not close the digest (it hung computing its schedule?)"
        assert now - timedelta(hours=2) <= end <= now  # the latest fire time
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
