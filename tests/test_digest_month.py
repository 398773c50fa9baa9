"""A month of synthetic news through poll and digest on a fake clock: every section of the digest, a missed
period, a failed send over a real SMTP server, and an immediate alert."""

from __future__ import annotations

import itertools
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import parse_watchlist
from watcher.delivery import send_due
from watcher.mail import OutboxMailer, SmtpMailer
from watcher.match import compile_matcher
from watcher.models import Item, PollRecord
from watcher.periods import close_period, preview
from watcher.report import Digest, digest_to_json, render_html, render_text
from watcher.store import Store
from watcher.store.migrate import upgrade

pytest_plugins = ["smtp_server"]

WATCHLIST = parse_watchlist("""\
sources:
  - {name: Wire, url: "http://127.0.0.1:9/wire"}
  - {name: Lenta, url: "http://127.0.0.1:9/lenta"}
  - {name: Hetq, url: "http://127.0.0.1:9/hetq"}
actors:
  - {id: pashinyan, name: Nikol Pashinyan, aliases: [Никол Пашинян]}
  - {id: aliyev, name: Ilham Aliyev, aliases: [Ильхам Алиев]}
  - {id: putin, name: Vladimir Putin, aliases: [Владимир Путин]}
  - {id: karabakh, name: Karabakh, kind: place, aliases: [Карабах]}
terms:
  - {id: treaty, name: peace treaty, aliases: [мирный договор]}
situations:
  - id: peace
    title: Peace process
    actors: [pashinyan, aliyev, putin, karabakh]
    terms: [treaty]
    query: "resign* AND Karabakh"
digests:
  - {id: daily, title: Daily, to: [a@example.org, b@example.org], schedule: "daily 07:00", timezone: UTC}
  - {id: alerts, title: Alerts, to: [a@example.org], schedule: immediate, min_interval: 30m}
""")
DAILY, ALERTS = WATCHLIST.digests
START = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)  # day 0, 07:00: the first daily digest of the month
MATCHER = compile_matcher(WATCHLIST.entries)
SENDER = "watcher@example.org"


def at(day: int, hour: float) -> datetime:
    return START + timedelta(days=day, hours=hour - 7)


def poll(store: Store, source: str, now: datetime, *titles: str) -> None:
    """One successful poll of ``source`` that brings ``titles`` (none: a poll with nothing new)."""
    items = [Item(key=f"http://{source.lower()}/{now:%m%d%H%M}/{n}", title=t, text="",
                  link=f"http://{source.lower()}.example/{now:%m%d%H%M}/{n}", published=now - timedelta(minutes=5))
             for n, t in enumerate(titles)]
    store.record_success(source, now=now, status=200, etag=None, last_modified=None, items=items,
                         matches={i.key: MATCHER.match(i) for i in items})


def news_of(day: int) -> dict[str, list[str]]:
    """What each source publishes on ``day`` (polled at 10:00)."""
    news: dict[str, list[str]] = {"Wire": [f"Nikol Pashinyan speaks on day {day}"], "Lenta": [], "Hetq": []}
    if day < 24:
        news["Hetq"].append(f"Local news of day {day}, Yerevan")
    if day < 21:
        news["Lenta"].append(f"Владимир Путин провёл совещание, день {day}")
    if day == 26:
        news["Wire"] += ["Pashinyan and Aliyev meet in Abu Dhabi", "Pashinyan talks trade in Paris",
                         "Pashinyan opens school in Gyumri", "Pashinyan answers MPs"]
        news["Lenta"].append("Никол Пашинян и Ильхам Алиев встретились в Абу-Даби")
        news["Hetq"].append("Pashinyan, Aliyev meet in Abu Dhabi")
    if day == 27:
        news["Wire"].append("Karabakh minister resigns as Pashinyan calls for calm")
    return news


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'month.db'}"
    upgrade(url)
    with Store.open(url) as opened:
        opened.sync_sources([(s.name, s.url) for s in WATCHLIST.sources], now=START - timedelta(days=1))
        yield opened


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section(d: Digest) -> dict:  # type: ignore[type-arg]
    (situation,) = digest_to_json(d)["situations"]
    return situation


def test_a_month_of_news(store: Store, tmp_path: Path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    outbox = OutboxMailer(tmp_path / "out")
    close_period(store, WATCHLIST, DAILY, now=at(0, 7), sender=SENDER)  # the first, empty digest
    digests: dict[int, Digest] = {}
    for day in range(0, 30):
        for source, titles in news_of(day).items():
            poll(store, source, at(day, 10), *titles)
        if day == 27:
            alert = close_period(store, WATCHLIST, ALERTS, now=at(27, 10.5), sender=SENDER)
            assert [d.recipient for d in alert] == ["a@example.org"]
            assert close_period(store, WATCHLIST, ALERTS, now=at(27, 10.6), sender=SENDER) == []  # batched
            assert close_period(store, WATCHLIST, ALERTS, now=at(27, 11.5), sender=SENDER) == []  # nothing key
        if day == 28:
            store.record_polls([PollRecord("Lenta", at(28, 10), "error", 503, next_due_at=at(28, 11), failures=1,
                                           error="HTTP 503 Service Unavailable")])
        if day == 19:
            continue  # the service was down at 07:00 on day 20: that period is missed
        digests[day + 1] = preview(store, WATCHLIST, DAILY, now=at(day + 1, 7))
        if day + 1 == 22:  # the mail server is down: the deliveries stay pending
            close_period(store, WATCHLIST, DAILY, now=at(22, 7), sender=SENDER)
            down = SmtpMailer(f"smtp://127.0.0.1:{closed_port()}?timeout=2")
            assert send_due(store, down, now=at(22, 7), sender=SENDER).retrying == 2
            report = send_due(store, SmtpMailer(smtp_server.url), now=at(22, 8), sender=SENDER)
            assert report.sent == 2 and len(smtp_server.messages) == 2
        else:
            close_period(store, WATCHLIST, DAILY, now=at(day + 1, 7), sender=SENDER)
            send_due(store, outbox, now=at(day + 1, 7), sender=SENDER)

    # Every period is contiguous, each closed once, the missed one folded into the next.
    periods = sorted({d.period for d in store.deliveries(digest_id="daily")}, key=lambda p: p.end)
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))
    missed = next(p for p in periods if p.end == at(21, 7))
    assert missed.start == at(19, 7)
    assert sum("on day 19" in t or "on day 20" in t for t in render_text(digests[21]).splitlines()) == 2
    assert all(d.status == "sent" for d in store.deliveries(digest_id="daily"))

    # After the failed send the retried message is the day-22 digest, and day 23 does not repeat it.
    sent = smtp_server.messages[0].message
    assert "on day 21" in sent.get_body(("plain",)).get_content()
    assert "on day 21" not in render_text(digests[23])

    # Attention: the chart covers 12 periods; day 26 brought Pashinyan five times, against about one.
    s = section(digests[27])
    pashinyan = next(r for r in s["attention"] if r["entry_id"] == "pashinyan")
    assert pashinyan["items"] == 7 and pashinyan["change"] == "up" and pashinyan["baseline"] == 1.0
    assert len(pashinyan["series"]) == 12 and pashinyan["series"][-2:] == [1, 7]
    assert len(s["periods"]) == 12 and s["periods"][-1]["end"] == at(27, 7).isoformat()

    # New: Aliyev for the first time ever; a pairing never seen before; Karabakh new the next day.
    assert [(n["entry_id"], n["novelty"]) for n in s["new"]] == [("aliyev", "first-ever")]
    assert [(p["entry_ids"], p["novelty"]) for p in s["pairings"]] == [(["aliyev", "pashinyan"], "first-ever")]
    # the next day Aliyev and Pashinyan are not a new pairing any more; Karabakh and Pashinyan are
    assert [p["entry_ids"] for p in section(digests[28])["pairings"]] == [["karabakh", "pashinyan"]]
    assert ("karabakh", "first-ever") in [(n["entry_id"], n["novelty"]) for n in section(digests[28])["new"]]

    # Stories: the meeting in three outlets and two languages comes first, each outlet once.
    top = s["stories"][0]
    assert [o["outlet"] for o in top["outlets"]] == ["Wire", "Lenta", "Hetq"] and top["item_count"] == 3
    assert all(len(st["outlets"]) == 1 for st in s["stories"][1:])

    # Key developments: the query's item comes first, marked, and made an alert the day it happened.
    k = section(digests[28])
    assert k["key_count"] == 1 and k["stories"][0]["key"] and "resigns" in k["stories"][0]["title"]
    alerts = [d for d in store.deliveries(digest_id="alerts")]
    assert len(alerts) == 1 and b"resigns" in alerts[0].message.replace(b"=\r\n", b"")

    # Quiet: Putin, mentioned every day until day 20, then silent.
    assert [q["entry_id"] for q in section(digests[22])["quiet"]] == ["putin"]
    assert section(digests[21])["quiet"] == []

    # Sources: Lenta publishes nothing after day 20 (quiet, then stale after three days), Hetq nothing
    # after day 23, and Lenta fails on day 28.
    assert section(digests[21])["sources"] == []
    assert {(p["name"], p["problem"]) for p in section(digests[23])["sources"]} == {("Lenta", "quiet")}
    problems = {(p["name"], p["problem"]) for p in section(digests[25])["sources"]}
    assert problems == {("Hetq", "quiet"), ("Lenta", "stale")}
    assert ("Lenta", "failing") in {(p["name"], p["problem"]) for p in section(digests[29])["sources"]}

    # The JSON carries every figure and round-trips; the renderings show the same sections.
    assert json.loads(json.dumps(digest_to_json(digests[27]))) == digest_to_json(digests[27])
    text, html = render_text(digests[27]), render_html(digests[27])
    for heading in ("Attention", "New", "New pairings", "Stories"):
        assert heading in text and heading.upper() in html.upper()
    assert "Ilham Aliyev + Nikol Pashinyan: together for the first time" in text
