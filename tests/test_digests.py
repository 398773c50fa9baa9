"""The digest job on a fake clock: contiguous periods, exactly-once delivery, retries after a failed send."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher import periods
from watcher.config import parse_watchlist
from watcher.delivery import backoff, delivery_name, send_due
from watcher.mail import OutboxMailer, SmtpMailer
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.periods import close_period, preview
from watcher.report import digest_to_json
from watcher.store import Store
from watcher.store.migrate import upgrade

WATCHLIST = parse_watchlist("""\
sources:
  - {name: Wire, url: "http://127.0.0.1:9/wire.xml"}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
digests:
  - {id: daily, title: Daily, to: [a@example.org, b@example.org], schedule: "daily 07:00"}
""")
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade(url)
    with Store.open(url) as opened:
        opened.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=T0)
        yield opened


def add_item(store: Store, n: int, at: datetime) -> None:
    item = Item(key=f"http://example.org/{n}", title=f"Pashinyan statement {n}", text="", link=f"http://example.org/{n}",
                published=at)
    matches = compile_matcher(WATCHLIST.entries).match(item)
    assert matches
    store.record_success("Wire", now=at, status=200, etag=None, last_modified=None, items=[item],
                         matches={item.key: matches})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eml_bodies(folder: Path) -> list[str]:
    """The plain-text part of every message in ``folder``."""
    messages = (email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in folder.glob("*.eml"))
    return sorted(m.get_body(("plain",)).get_content() for m in messages)


def test_periods_are_contiguous_and_each_match_is_sent_once(store: Store, tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path / "out")
    add_item(store, 1, T0 + timedelta(hours=1))
    first = close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=1), sender="w@example.org")
    assert {d.recipient for d in first} == {"a@example.org", "b@example.org"}
    add_item(store, 2, T0 + timedelta(days=1, hours=1))
    second = close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=2), sender="w@example.org")
    assert second[0].period.start == first[0].period.end
    report = send_due(store, outbox, now=T0 + timedelta(days=2), sender="w@example.org")
    assert report.sent == 4
    names = {delivery_name(d) for d in first + second}
    assert {p.stem for p in (tmp_path / "out").glob("*.eml")} == names
    assert send_due(store, outbox, now=T0 + timedelta(days=3), sender="w@example.org").sent == 0


def test_closing_the_same_period_twice_queues_nothing_new(store: Store) -> None:
    add_item(store, 1, T0 + timedelta(hours=1))
    now = T0 + timedelta(days=1)
    first = close_period(store, WATCHLIST, WATCHLIST.digests[0], now=now, sender="w@example.org")
    again = close_period(store, WATCHLIST, WATCHLIST.digests[0], now=now, sender="w@example.org")
    assert {d.id for d in again} <= {d.id for d in first}
    assert len(store.deliveries(digest_id="daily")) == 2


def test_failed_send_stays_pending_and_is_retried_with_backoff(store: Store, tmp_path: Path) -> None:
    add_item(store, 1, T0 + timedelta(hours=1))
    now = T0 + timedelta(days=1)
    close_period(store, WATCHLIST, WATCHLIST.digests[0], now=now, sender="w@example.org")
    down = SmtpMailer(f"smtp://127.0.0.1:{closed_port()}?timeout=2")
    report = send_due(store, down, now=now, sender="w@example.org")
    assert (report.sent, report.retrying) == (0, 2)
    pending = store.deliveries(digest_id="daily")
    assert all(d.status == "pending" and d.attempts == 1 and d.last_error for d in pending)
    assert all(d.next_attempt_at == now + backoff(1) for d in pending)
    # Not due yet: nothing is tried, even with a working mailer.
    outbox = OutboxMailer(tmp_path / "out")
    assert send_due(store, outbox, now=now + timedelta(seconds=30), sender="w@example.org").sent == 0
    assert send_due(store, outbox, now=now + backoff(1), sender="w@example.org").sent == 2
    assert len(eml_bodies(tmp_path / "out")) == 2
    assert all(d.status == "sent" for d in store.deliveries(digest_id="daily"))


def test_matches_found_after_a_failed_send_go_to_the_next_period(store: Store, tmp_path: Path) -> None:
    add_item(store, 1, T0 + timedelta(hours=1))
    down = SmtpMailer(f"smtp://127.0.0.1:{closed_port()}?timeout=2")
    close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=1), sender="w@example.org")
    send_due(store, down, now=T0 + timedelta(days=1), sender="w@example.org")
    add_item(store, 2, T0 + timedelta(days=1, hours=2))
    close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=2), sender="w@example.org")
    send_due(store, OutboxMailer(tmp_path / "out"), now=T0 + timedelta(days=2), sender="w@example.org")
    bodies = eml_bodies(tmp_path / "out")
    assert len(bodies) == 4
    assert sum("statement 1" in b for b in bodies) == 2 and sum("statement 2" in b for b in bodies) == 2
    assert not any("statement 1" in b and "statement 2" in b for b in bodies)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=1)


def test_a_digest_built_with_the_collector_paused_is_the_one_built_without(store: Store,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """periods._collector_paused is a speed layer: the plain path (the collector running) builds the same digest."""
    for n in range(30):
        add_item(store, n, T0 - timedelta(hours=n * 7))
    paused = digest_to_json(preview(store, WATCHLIST, WATCHLIST.digests[0], now=T0, since=T0 - timedelta(days=30)))
    monkeypatch.setattr(periods, "_collector_paused", contextlib.nullcontext)
    running = digest_to_json(preview(store, WATCHLIST, WATCHLIST.digests[0], now=T0, since=T0 - timedelta(days=30)))
    assert paused == running and paused["total_items"] == 30
