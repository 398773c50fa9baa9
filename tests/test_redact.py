"""The one rule that shows URLs and settings without their secrets, and the places that render them through it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sources_server import pages_server
from test_sources_end_to_end import poll
from test_sources_end_to_end import store as store  # the fixture: an empty SQLite store

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.config.placeholders import display
from watcher.logs import setup_logging
from watcher.metrics import Metrics
from watcher.models import PollOutcome
from watcher.poll import describe, utcnow
from watcher.redact import HIDDEN, redact_text, redact_url, secrets_of
from watcher.store import Store

SECRET = "Zq8wXv"  # no part of it is in any other text of these tests


@pytest.mark.parametrize(("url", "shown"), [
    ("smtp://user:Zq8wXv@mail.example.org:587", "smtp://user:***@mail.example.org:587"),
    ("smtp://user:Zq8w/Xv@mail.example.org", "smtp://user:***@mail.example.org"),  # "/" cuts urllib's authority
    ("smtp://user:Zq8w?Xv@mail.example.org", "smtp://user:***@mail.example.org"),
    ("smtp://user:Zq8w#Xv@mail.example.org", "smtp://user:***@mail.example.org"),
    ("smtp://user:Zq8w@X/v?@mail.example.org?starttls=1", "smtp://user:***@mail.example.org?starttls=1"),
    ("smtp://user:Zq8w Xv@mail.example.org", "smtp://user:***@mail.example.org"),
    ("smtp://user:Zq8w%2FXv@mail.example.org", "smtp://user:***@mail.example.org"),
    ("postgresql+psycopg://watcher@db:5432/w?password=Zq8wXv&sslmode=require",
     "postgresql+psycopg://watcher@db:5432/w?password=***&sslmode=require"),
    ("postgresql://db/w?PASSWORD=Zq8w&Xv&sslmode=require", "postgresql://db/w?PASSWORD=***&sslmode=require"),
    ("json://hooks.example/in?Token=Zq8wXv", "json://hooks.example/in?Token=***"),
    ("https://api.example/feed?apikey=Zq8wXv&q=1", "https://api.example/feed?apikey=***&q=1"),
    ("https://api.example/feed?access_token=Zq8wXv", "https://api.example/feed?access_token=***"),
    ("https://api.example/feed?Secret=Zq8wXv", "https://api.example/feed?Secret=***"),
    ("https://user:Zq8w/Xv@feeds.example/x.xml", "https://user:***@feeds.example/x.xml"),
    ("smtp://user:Zq8wXv", "smtp://user:***"),  # a URL cut at a blank in a line of text
    # Nothing to hide: shown as they are.
    ("https://medium.com/@someone/feed", "https://medium.com/@someone/feed"),
    ("https://news.example:8443/rss?page=2", "https://news.example:8443/rss?page=2"),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    ("sqlite:///var/lib/watcher/watcher.db", "sqlite:///var/lib/watcher/watcher.db"),
    ("smtp://[::1]:25", "smtp://[::1]:25"),
    ("smtp://[::1", "smtp://[::1"),
    ("tgram://{env:TELEGRAM_TOKEN}/12345", "tgram://{env:TELEGRAM_TOKEN}/12345"),
    ("json://watcher:{env:HOOK_PASSWORD}@hooks.example/in?token={env:HOOK_TOKEN}",
     "json://watcher:{env:HOOK_PASSWORD}@hooks.example/in?token={env:HOOK_TOKEN}"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "Zq8w" not in redact_url(url) and "Xv@" not in redact_url(url)


def test_secrets_of_gives_the_values_as_written_and_decoded() -> None:
    assert secrets_of("smtp://u:Zq8w%2FXv@h") == ["Zq8w%2FXv", "Zq8w/Xv"]
    assert secrets_of("postgresql://h/d?password=Zq8wXv") == ["Zq8wXv"]
    assert secrets_of("sqlite:///w.db") == [] and secrets_of(None) == []


def test_redact_text_masks_the_secrets_and_their_encoded_forms() -> None:
    line = "auth failed for Zq8w/Xv (Zq8w%2FXv) at smtp://u:Zq8w%2FXv@h and https://x/?token=abc&q=1"
    shown = redact_text(line, ["Zq8w/Xv"])
    assert "Zq8w" not in shown and "token=***&q=1" in shown and shown.count(HIDDEN) == 4


def test_channel_display_is_the_one_rule() -> None:
    # watcher.channels shows channel URLs through display(): a token in the query was shown in clear before.
    assert display("json://hooks.example/in?token=Zq8wXv") == "json://hooks.example/in?token=***"
    assert display("matrixs://watcher:Zq8w/Xv@matrix.example.org/#room") == "matrixs://watcher:***@matrix.example.org/#room"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_lines_hold_no_secret(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", fmt, secrets=[SECRET])
    try:
        log = logging.getLogger("watcher.test")
        log.info("database %s", f"postgresql://db/w?password={SECRET}")
        log.warning("the driver said: password %s rejected", SECRET, extra={"fields": {"url": f"smtp://u:{SECRET}@h"}})
        try:
            raise RuntimeError(f"boom smtp://u:{SECRET}@h")
        except RuntimeError:
            log.exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Zq8w" not in err
    if fmt == "json":
        assert json.loads(err.splitlines()[1])["url"] == "smtp://u:***@h"


def test_metrics_labels_hold_no_password() -> None:
    metrics = Metrics()
    metrics.observe_poll(PollOutcome(source=f"https://reader:{SECRET}@feeds.example/x.xml", status="error"))
    body, _ = metrics.render()
    assert b"Zq8w" not in body and b"reader:***@feeds.example" in body


def test_db_upgrade_prints_no_password_of_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # A password given as a query parameter was printed by `db upgrade` (it showed what follows the last "@").
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}?password={SECRET}")
    with pytest.warns(Warning):  # SQLAlchemy: the SQLite driver ignores the parameter
        assert main(["--config", str(tmp_path / "absent.yaml"), "db", "upgrade"]) == 0
    out, err = capsys.readouterr()
    assert "database at the newest schema" in out and "password=***" in out
    assert "Zq8w" not in out + err


def test_an_error_line_holds_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A database that cannot be reached (exit 1) and one watcher cannot use (a settings mistake, exit 2).
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"postgresql://watcher:{SECRET}@127.0.0.1:1/w?password={SECRET}")
    assert main(["--config", str(tmp_path / "absent.yaml"), "db", "upgrade"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("watcher db: ") and "Zq8w" not in out + err
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"mysql://watcher:{SECRET}@db/w?password={SECRET}")
    assert main(["--config", str(tmp_path / "absent.yaml"), "db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert "WATCHER_DATABASE_URL: unsupported database" in err and "Zq8w" not in out + err


def test_a_feed_url_s_password_is_not_in_the_error_stored_and_shown_for_its_source(store: Store) -> None:
    with pages_server({}) as pages:  # every path answers 404
        url = pages.base_url.replace("http://", f"http://reader:{SECRET}@") + "/missing.xml"
        watchlist = parse_watchlist(f'sources:\n  - {{name: Private, url: "{url}"}}\n')
        store.sync_sources([("Private", url)], now=utcnow())
        outcome = poll(watchlist, store, ["Private"])["Private"]
    health = {h.name: h for h in store.source_health()}["Private"]
    assert outcome.status == "error" and "HTTP 404" in (outcome.error or "")
    assert "Zq8w" not in (outcome.error or "") + (health.last_error or "") + describe(outcome)
