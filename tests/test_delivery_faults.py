"""Mail is sent once, after every fault: `watcher digest --send` against SMTP servers that fail in the ways a year
of running meets (an outage, a bad QUIT, a dropped connection, 4xx and 5xx, a database locked at the wrong moment)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.delivery import MAX_ATTEMPTS, backoff, send_due
from watcher.mail import OutboxMailer, SmtpMailer
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.periods import close_period
from watcher.store import Store
from watcher.store.migrate import upgrade

pytest_plugins = ["smtp_server"]

CONFIG = """\
sources:
  - {name: Wire, url: "http://127.0.0.1:9/wire.xml"}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
digests:
  - {id: daily, title: Daily, to: [analyst@example.org], schedule: "daily 07:00"}
"""
WATCHLIST = parse_watchlist(CONFIG)
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A watchlist with one daily digest and a database; the database file's path."""
    db = tmp_path / "w.db"
    upgrade(f"sqlite:///{db}")
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("WATCHER_MAIL_FROM", "watcher@example.org")
    with Store.open(f"sqlite:///{db}") as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=T0)
    yield db


def add_item(db: Path, title: str, at: datetime | None = None) -> None:
    """Store an item matching the watchlist, found ``at`` (now by default)."""
    at = at or datetime.now(UTC)
    item = Item(key=f"http://example.org/{title}", title=title, text="", link=f"http://example.org/{title}",
                published=at)
    matches = compile_matcher(WATCHLIST.entries).match(item)
    assert matches
    with Store.open(f"sqlite:///{db}") as store:
        store.record_success("Wire", now=at, status=200, etag=None, last_modified=None, items=[item],
                             matches={item.key: matches})


def deliveries(db: Path) -> list[Any]:
    with Store.open(f"sqlite:///{db}") as store:
        return store.deliveries(digest_id="daily")


def send(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["digest", "daily", "--send", *extra])
    out, err = capsys.readouterr()
    return code, out + err


def bodies(server: Any) -> list[str]:
    return [m.message.get_body(("plain",)).get_content() for m in server.messages]


def test_after_an_outage_the_held_digest_arrives_first_and_nothing_new_is_not_queued_behind_it(
        setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_servers: Callable[..., Any], closed_smtp_url: str) -> None:
    add_item(setup, "Pashinyan statement one")
    monkeypatch.setenv("WATCHER_SMTP_URL", f"{closed_smtp_url}?timeout=2")
    for _ in range(3):  # three sends during the outage: each fails, and only the first period has news
        code, out = send(capsys)
        assert code == 1 and "refused the connection" in out
    assert len(deliveries(setup)) == 1  # the two "nothing new" periods queued nothing behind it
    with smtp_servers(port=int(closed_smtp_url.rsplit(":", 1)[1])) as server:
        code, out = send(capsys)  # the server is back: what is pending goes now, not at its backoff
        assert code == 0, out
        (body,) = bodies(server)
        assert "Pashinyan statement one" in body
        add_item(setup, "Pashinyan statement two")
        assert send(capsys)[0] == 0
        assert "Pashinyan statement two" in bodies(server)[1]
    assert [d.status for d in deliveries(setup)] == ["sent", "sent"]


def test_digests_queued_during_an_outage_go_out_in_the_order_of_their_periods(
        setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_servers: Callable[..., Any], closed_smtp_url: str) -> None:
    monkeypatch.setenv("WATCHER_SMTP_URL", f"{closed_smtp_url}?timeout=2")
    for title in ("Pashinyan first", "Pashinyan second", "Pashinyan third"):
        add_item(setup, title)
        assert send(capsys)[0] == 1
    held = deliveries(setup)
    assert len(held) == 3 and [d.attempts for d in held] == [3, 0, 0]  # only the oldest was tried
    with smtp_servers(port=int(closed_smtp_url.rsplit(":", 1)[1])) as server:
        assert send(capsys)[0] == 0
        got = bodies(server)
    assert len(got) == 3
    assert ["first" in got[0], "second" in got[1], "third" in got[2]] == [True, True, True]


def test_a_new_period_retries_the_held_one_at_once_instead_of_overtaking_it(setup: Path, tmp_path: Path,
                                                                            closed_smtp_url: str) -> None:
    add_item(setup, "Pashinyan held", T0 + timedelta(hours=1))
    daily = WATCHLIST.digests[0]
    with Store.open(f"sqlite:///{setup}") as store:
        close_period(store, WATCHLIST, daily, now=T0 + timedelta(days=1), sender="w@example.org")
        down = SmtpMailer(f"{closed_smtp_url}?timeout=2")
        for n in range(6):  # the backoff grows to half an hour
            send_due(store, down, now=T0 + timedelta(days=1, minutes=2**n - 1), sender="w@example.org")
        (held,) = store.deliveries()
        assert held.next_attempt_at is not None and held.next_attempt_at > T0 + timedelta(days=1, hours=1)
        add_item(setup, "Pashinyan later", T0 + timedelta(days=1, minutes=30))
        at = T0 + timedelta(days=1, hours=1)
        close_period(store, WATCHLIST, daily, now=at, sender="w@example.org")
        report = send_due(store, OutboxMailer(tmp_path / "out"), now=at, sender="w@example.org")
        assert report.sent == 2
        first, second = store.deliveries()
        assert first.sent_at == second.sent_at == at


def test_an_outage_longer_than_a_day_is_retried_and_digest_retry_resends_what_was_given_up(
        setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_server: Any, closed_smtp_url: str) -> None:
    add_item(setup, "Pashinyan outage", T0 + timedelta(hours=1))
    with Store.open(f"sqlite:///{setup}") as store:
        close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=1), sender="w@example.org")
        down = SmtpMailer(f"{closed_smtp_url}?timeout=2")
        now = T0 + timedelta(days=1)
        attempts = 0
        while now < T0 + timedelta(days=2, hours=12):  # a day and a half of outage: still pending
            send_due(store, down, now=now, sender="w@example.org")
            attempts += 1
            (delivery,) = store.deliveries()
            assert delivery.status == "pending" and delivery.next_attempt_at is not None
            now = delivery.next_attempt_at
        assert attempts > 30 and backoff(attempts) <= timedelta(hours=1)
        while (delivery := store.deliveries()[0]).status == "pending":
            assert delivery.next_attempt_at is not None
            now = delivery.next_attempt_at
            send_due(store, down, now=now, sender="w@example.org")
        assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
        assert now - (T0 + timedelta(days=1)) >= timedelta(days=1)  # given up only after retrying a day or more
    monkeypatch.setenv("WATCHER_SMTP_URL", smtp_server.url)
    code, out = send(capsys)  # a plain --send leaves what was given up alone
    assert code == 0 and not any("Pashinyan outage" in b for b in bodies(smtp_server))
    code = main(["digest", "daily", "--retry"])
    out = capsys.readouterr().out
    assert code == 0 and "1 failed deliveries to send again" in out
    assert sum("Pashinyan outage" in b for b in bodies(smtp_server)) == 1
    assert deliveries(setup)[0].status == "sent"


@pytest.mark.parametrize("server", [{"replies": {"QUIT": "500 5.5.1 what?"}}, {"hang_up_after_data": True}],
                         ids=["bad-quit", "hang-up-after-data"])
def test_a_message_accepted_after_data_is_never_sent_again(
        server: dict[str, Any], setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_servers: Callable[..., Any]) -> None:
    add_item(setup, "Pashinyan accepted")
    with smtp_servers(**server) as smtp:
        monkeypatch.setenv("WATCHER_SMTP_URL", smtp.url)
        code, out = send(capsys)
        assert code == 0, out
        assert [d.status for d in deliveries(setup)] == ["sent"]
        send(capsys)
        send(capsys, "--retry")
        assert sum("Pashinyan accepted" in b for b in bodies(smtp)) == 1


@pytest.mark.parametrize(("command", "reply"), [("RCPT", "550 5.1.1 no such user"), ("DATA", "554 5.7.1 rejected"),
                                                ("RCPT", "450 4.2.1 mailbox busy"), ("DATA", "451 4.3.0 later")])
def test_a_permanent_refusal_fails_at_once_with_one_clear_error_and_a_temporary_one_is_retried(
        command: str, reply: str, setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_servers: Callable[..., Any]) -> None:
    add_item(setup, "Pashinyan refused")
    for_good = reply.startswith("5")
    with smtp_servers(replies={command: reply}) as smtp:
        monkeypatch.setenv("WATCHER_SMTP_URL", smtp.url)
        code, out = send(capsys)
        assert code == 1
        refusals = [line for line in out.splitlines() if reply in line]
        assert len(refusals) == 1 and "refused" in refusals[0] and "Traceback" not in out, out
        assert ("0 pending retry, 1 given up" if for_good else "1 pending retry, 0 given up") in out
        (delivery,) = deliveries(setup)
        assert (delivery.status, delivery.attempts) == ("failed" if for_good else "pending", 1)
        assert reply in (delivery.last_error or "")
    with smtp_servers(port=smtp.port) as smtp:  # the server takes mail again
        send(capsys)
        assert sum("Pashinyan refused" in b for b in bodies(smtp)) == (0 if for_good else 1)
    assert deliveries(setup)[0].status == ("failed" if for_good else "sent")


def test_a_database_locked_just_after_the_server_accepted_the_message_still_records_it_sent(
        setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        smtp_servers: Callable[..., Any]) -> None:
    add_item(setup, "Pashinyan locked")
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{setup}?timeout=0.2")  # a short wait for the lock
    released = threading.Event()

    def lock_the_database() -> None:  # another writer holds the database for a while, from the 250 on
        other = sqlite3.connect(setup, check_same_thread=False, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")

        def release() -> None:
            other.execute("ROLLBACK")
            other.close()
            released.set()

        threading.Timer(1.5, release).start()

    with smtp_servers(on_data=lock_the_database) as smtp:
        monkeypatch.setenv("WATCHER_SMTP_URL", smtp.url)
        code, out = send(capsys)
        assert released.wait(10)
        assert code == 0, out
        assert [d.status for d in deliveries(setup)] == ["sent"]
        send(capsys, "--retry")
        assert sum("Pashinyan locked" in b for b in bodies(smtp)) == 1


def test_two_periods_closed_in_the_same_second_are_two_files_in_the_outbox(setup: Path, tmp_path: Path) -> None:
    add_item(setup, "Pashinyan outbox", T0 + timedelta(hours=1))
    outbox = OutboxMailer(tmp_path / "out")
    first, second = T0 + timedelta(days=1, microseconds=100), T0 + timedelta(days=1, microseconds=900_000)
    with Store.open(f"sqlite:///{setup}") as store:
        close_period(store, WATCHLIST, WATCHLIST.digests[0], now=first, sender="w@example.org")
        add_item(setup, "Pashinyan outbox again", first + timedelta(microseconds=1000))
        close_period(store, WATCHLIST, WATCHLIST.digests[0], now=second, sender="w@example.org")
        assert send_due(store, outbox, now=T0 + timedelta(days=1, seconds=1), sender="w@example.org").sent == 2
        assert len(store.deliveries()) == 2
    assert len(list((tmp_path / "out").glob("*.eml"))) == 2


def test_a_server_that_would_take_the_password_in_clear_gets_nothing_and_the_digest_stays_pending(
        setup: Path, smtp_plain_auth_server: Any) -> None:
    add_item(setup, "Pashinyan in clear", T0 + timedelta(hours=1))
    with Store.open(f"sqlite:///{setup}") as store:
        close_period(store, WATCHLIST, WATCHLIST.digests[0], now=T0 + timedelta(days=1), sender="w@example.org")
        report = send_due(store, SmtpMailer(smtp_plain_auth_server.url), now=T0 + timedelta(days=1),
                          sender="w@example.org")
        (delivery,) = store.deliveries()
    assert (report.sent, report.retrying) == (0, 1)
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    assert "does not offer STARTTLS: the password is not sent over a plain connection" in (delivery.last_error or "")
    assert smtp_plain_auth_server.auth_attempts == [] and smtp_plain_auth_server.messages == []
