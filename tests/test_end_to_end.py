"""The whole pipeline through the command line: poll a local server, store matches, send the digest over
a real SMTP server, poll again (304, nothing new), send again (nothing sent twice)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.feedserver import serve_folder

pytest_plugins = ["smtp_server"]

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sample wire</title><link>http://example.org/</link>
<item><title>Pashinyan meets Putin in Moscow</title><link>http://example.org/news/1?utm_source=rss</link>
<description>Nikol Pashinyan and Vladimir Putin discussed the Russian peacekeepers.</description>
<pubDate>{h3}</pubDate></item>
<item><title>Weather in Yerevan</title><link>http://example.org/news/2</link>
<description>Sunny and cold.</description><pubDate>{h2}</pubDate></item>
<item><title>Aliyev speaks in Baku</title><link>http://example.org/news/3</link>
<description>Ilham Aliyev spoke about Karabakh.</description><pubDate>{h1}</pubDate></item>
</channel></rss>
"""

# Dated hours before the test runs: a feed whose newest item is weeks old is a stale source.
_NOW = datetime.now(UTC)
FEED = FEED.format(**{f"h{n}": format_datetime(_NOW - timedelta(hours=n)) for n in (1, 2, 3)})

WATCHLIST = """\
defaults: {{every: 30m, timezone: Asia/Yerevan}}
sources:
  - name: Sample wire
    url: {base}/wire.xml
  - name: Broken
    url: {base}/missing.xml
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
  - {{id: putin, name: Vladimir Putin}}
  - {{id: aliyev, name: Ilham Aliyev}}
terms:
  - {{id: peacekeepers, name: Russian peacekeepers}}
digests:
  - id: daily
    title: South Caucasus daily
    to: [analyst@example.org, editor@example.org]
    schedule: daily 07:00
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_poll_match_store_send_repoll_resend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], smtp_server) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire.xml").write_text(FEED, encoding="utf-8")
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("WATCHER_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("WATCHER_MAIL_FROM", "watcher@example.org")
    with serve_folder(feeds) as base:
        config = tmp_path / "watchlist.yaml"
        config.write_text(WATCHLIST.format(base=base), encoding="utf-8")
        monkeypatch.setenv("WATCHER_CONFIG", str(config))

        assert run(capsys, "check")[0] == 0
        assert run(capsys, "db", "upgrade")[0] == 0

        code, out, err = run(capsys, "poll")
        assert code == 1 and "1 of 2 sources failed" in err  # Broken is missing: some failed
        assert "Sample wire: 3 new of 3 items" in out
        assert "Broken: error:" in out and "404" in out

        code, out, _ = run(capsys, "matches", "--json", "--since", "3650d")
        found = {(m["id"], m["title"]) for m in map(json.loads, out.splitlines())}
        assert {("pashinyan", "Pashinyan meets Putin in Moscow"), ("putin", "Pashinyan meets Putin in Moscow"),
                ("peacekeepers", "Pashinyan meets Putin in Moscow"), ("aliyev", "Aliyev speaks in Baku")} <= found
        assert not any(title == "Weather in Yerevan" for _, title in found)
        # The same matches as CSV for a spreadsheet: a header, then one row each, read back to the same values.
        code, csv_out, _ = run(capsys, "matches", "--format", "csv", "--since", "3650d")
        rows = list(csv.DictReader(io.StringIO(csv_out)))
        assert code == 0 and rows and [json.loads(line) for line in out.splitlines()] == rows

        code, out, _ = run(capsys, "sources", "--json")
        health = {h["name"]: h for h in map(json.loads, out.splitlines())}
        assert health["Sample wire"]["status"] == "ok" and health["Sample wire"]["items"] == 3
        assert health["Broken"]["status"] == "failing" and health["Broken"]["last_status"] == 404

        code, out, _ = run(capsys, "digest", "daily", "--send")
        assert code == 0, out
        assert len(smtp_server.messages) == 2
        message = smtp_server.messages[0].message
        assert "South Caucasus daily" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Pashinyan meets Putin in Moscow" in text and "Aliyev speaks in Baku" in text
        assert "Weather in Yerevan" not in text
        assert "http://example.org/news/3" in html

        code, out, _ = run(capsys, "poll")
        assert "Sample wire: not modified" in out

        code, out, _ = run(capsys, "digest", "daily", "--send")
        assert code == 0
        # The second period is empty: a short "nothing new" digest, never the first one again.
        assert len(smtp_server.messages) == 4
        again = smtp_server.messages[2].message
        assert "Pashinyan meets Putin" not in again.get_body(("plain",)).get_content()

        # New items after a digest are in the next one, and only there.
        (feeds / "wire.xml").write_text(FEED.replace("</channel>", """<item><title>Kocharyan and Pashinyan debate</title>
<link>http://example.org/news/4</link><description>More.</description></item></channel>"""), encoding="utf-8")
        code, out, _ = run(capsys, "poll")
        assert "Sample wire: 1 new of 4 items, 1 new matches" in out
        run(capsys, "digest", "daily", "--send")
        third = smtp_server.messages[4].message
        body = third.get_body(("plain",)).get_content()
        assert "Kocharyan and Pashinyan debate" in body and "Pashinyan meets Putin" not in body


def test_check_reports_broken_watchlist_with_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n  - name: A\n    url: ftp://example.org/\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "check")
    assert code == 2
    assert f"{config}:3: sources[0].url: 'ftp://example.org/' is not an http(s) URL" in err
    assert "Traceback" not in err


def test_missing_watchlist_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "nope.yaml"), "check")
    assert code == 2 and "no such file" in err and len(err.strip().splitlines()) <= 2


def test_unknown_source_names_a_few_of_many(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n" + "".join(f"  - {{name: feed-{i:04d}, url: 'https://news.example/{i}.xml'}}\n"
                                             for i in range(1000)), encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "poll", "--source", "nope")
    assert code == 2 and "no source named 'nope'" in err
    assert "feed-0000, feed-0001" in err and "and 990 more" in err and "feed-0999" not in err
