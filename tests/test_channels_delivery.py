"""Digests to chat and webhook channels through the outbox of deliveries: exactly once per period and channel, retried
with backoff while a receiver is down or answers 5xx, never holding mail or the other channels; the secret in a
channel URL comes from the environment and is found nowhere else. The receiver is a real HTTP server on 127.0.0.1
(apprise's json:// webhook)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from webhook_server import Received, free_port, receiver

from watcher.channels import Channels
from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.delivery import send_due
from watcher.mail import OutboxMailer
from watcher.match import compile_matcher
from watcher.models import Item, Period
from watcher.report.short_form import ShortForm, to_bytes
from watcher.store import Store
from watcher.store.migrate import upgrade

TOKEN = "hook-secret-7c1e9a"  # the webhook's secret path part, set in the environment only
CONFIG = """\
sources:
  - {{name: Wire, url: "http://127.0.0.1:9/wire.xml"}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - id: daily
    title: Daily
    to: [analyst@example.org]
    notify: ["json://127.0.0.1:{down}/hook/{{env:WATCHER_TEST_HOOK_TOKEN}}", "json://127.0.0.1:{up}/other"]
    link: https://archive.example.org/daily
    schedule: "daily 07:00"
"""
T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int, int]]:
    """A database, a watchlist whose digest mails and tells two webhooks; (database, down port, up port)."""
    db = tmp_path / "w.db"
    upgrade(f"sqlite:///{db}")
    down, up = free_port(), free_port()
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG.format(down=down, up=up), encoding="utf-8")
    for name, value in {"WATCHER_CONFIG": str(config), "WATCHER_DATABASE_URL": f"sqlite:///{db}",
                        "WATCHER_OUTBOX": str(tmp_path / "outbox"), "WATCHER_MAIL_FROM": "watcher@example.org",
                        "WATCHER_TEST_HOOK_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    with Store.open(f"sqlite:///{db}") as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=T0)
    yield db, down, up


def add_item(db: Path, title: str) -> None:
    at = datetime.now(UTC)
    slug = title.lower().replace(" ", "-")
    item = Item(key=f"http://example.org/{slug}", title=title, text="", link=f"http://example.org/{slug}",
                published=at)
    watchlist = parse_watchlist(CONFIG.format(down=1, up=2))
    with Store.open(f"sqlite:///{db}") as store:
        store.record_success("Wire", now=at, status=200, etag=None, last_modified=None, items=[item],
                             matches={item.key: compile_matcher(watchlist.entries).match(item)})


def send(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["digest", "daily", "--send"])
    out, err = capsys.readouterr()
    return code, out + err


def status(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["status", "--json"]) == 0
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    result: dict[str, object] = json.loads(out)
    return result


def test_a_daily_digest_reaches_each_webhook_once_through_an_outage_and_a_5xx_without_holding_mail(
        setup: tuple[Path, int, int], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
        tmp_path: Path) -> None:
    db, down, up = setup
    add_item(db, "Pashinyan statement one")
    hook, other = Received(), Received()
    with receiver(up, other):
        code, out = send(capsys)  # the first webhook is down
        assert code == 1, out
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # the mail went all the same
        (message,) = other.messages  # and so did the other channel
        assert message["title"] == "Daily: 1 item, Nikol Pashinyan 1"
        assert "Pashinyan statement one" in message["message"]
        assert "http://example.org/pashinyan-statement-one" in message["message"]
        assert "Full digest: https://archive.example.org/daily" in message["message"]

        (held,) = [c for c in status(capsys)["channels"] if "/hook/" in c["channel"]]  # type: ignore[attr-defined]
        assert held["pending"] == 1 and held["attempts"] == 1 and held["next_attempt_at"]
        assert held["channel"] == f"json://127.0.0.1:{down}/hook/{{env:WATCHER_TEST_HOOK_TOKEN}}"
        assert "Connection error" in held["last_error"]
        assert main(["status"]) == 0
        text = capsys.readouterr().out
        assert (f"  channel json://127.0.0.1:{down}/hook/{{env:WATCHER_TEST_HOOK_TOKEN}} (daily): 1 pending, 0 failed, "
                f"0 sent; retrying at {held['next_attempt_at']} after 1 attempt(s): ") in text

        hook.status = 503
        with receiver(down, hook):  # back, but refusing for now: still retried, not given up
            code, out = send(capsys)
            assert code == 1, out
            hook.status = 200
            code, out = send(capsys)
            assert code == 0, out
            code, out = send(capsys)  # one more period, with nothing new
            assert code == 0, out
    # Each channel got each period's message once: the news once, then "nothing new" once for each later period
    # (none queued for the held channel while its news waited).
    assert [m["title"] for m in hook.messages] == ["Daily: 1 item, Nikol Pashinyan 1", "Daily: nothing new"]
    assert [m["title"] for m in other.messages] == ["Daily: 1 item, Nikol Pashinyan 1"] + ["Daily: nothing new"] * 3
    assert hook.paths == [f"/hook/{TOKEN}"] * 2  # the secret expanded from the environment when sending
    with Store.open(f"sqlite:///{db}") as store:
        channel_rows = [d for d in store.deliveries() if d.kind == "channel"]
        assert all(d.status == "sent" for d in channel_rows) and len(channel_rows) == 6
        assert all(TOKEN.encode() not in d.message and TOKEN not in d.recipient for d in store.deliveries())
        assert all(TOKEN not in (d.last_error or "") for d in store.deliveries())
    assert TOKEN not in caplog.text


FORM = to_bytes(ShortForm(title="Daily: 1 item", figures=(), stories=(), more_stories=0, link=None))


def write_period(store: Store, channel: str) -> None:
    store.record_period("daily", Period(T0 - timedelta(days=1), T0), {}, now=T0, channels={channel: FORM})


def test_a_channel_apprise_cannot_use_fails_at_once_and_a_missing_variable_is_retried(
        setup: tuple[Path, int, int], tmp_path: Path) -> None:
    db, _, _ = setup
    with Store.open(f"sqlite:///{db}") as store:
        write_period(store, "nosuchservice://example.org/x")
        report = send_due(store, OutboxMailer(tmp_path / "out"), now=T0, sender="w@example.org",
                          channels=Channels({}))
        assert (report.sent, report.retrying, report.given_up) == (0, 0, 1)
        (refused,) = store.deliveries()
        assert refused.status == "failed" and "apprise cannot use this URL" in (refused.last_error or "")
        store.record_period("daily", Period(T0, T0 + timedelta(days=1)), {}, now=T0 + timedelta(days=1),
                            channels={"json://127.0.0.1:9/{env:WATCHER_TEST_UNSET}": FORM})
        report = send_due(store, OutboxMailer(tmp_path / "out"), now=T0 + timedelta(days=1), sender="w@example.org",
                          channels=Channels({}))
        assert (report.sent, report.retrying, report.given_up) == (0, 1, 0)
        waiting = store.deliveries()[-1]
        assert waiting.status == "pending" and "WATCHER_TEST_UNSET is not set" in (waiting.last_error or "")


def test_without_a_channel_sender_channel_deliveries_wait_and_mail_goes(setup: tuple[Path, int, int],
                                                                        tmp_path: Path) -> None:
    db, _, up = setup
    with Store.open(f"sqlite:///{db}") as store:
        write_period(store, f"json://127.0.0.1:{up}/other")
        assert send_due(store, OutboxMailer(tmp_path / "out"), now=T0, sender="w@example.org").sent == 0
        (waiting,) = store.deliveries()
        assert waiting.status == "pending" and waiting.attempts == 0
        got = Received()
        with receiver(up, got):
            report = send_due(store, OutboxMailer(tmp_path / "out"), now=T0, sender="w@example.org",
                              channels=Channels({}))
        assert report.sent == 1 and [m["title"] for m in got.messages] == ["Daily: 1 item"]
