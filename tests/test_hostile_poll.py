"""Every hostile server and document of issue 7 through the real poll, beside a good feed: a clear error (or a
clean item) recorded on that source, the good source unaffected, memory bounded, nothing stored half-way.

Servers: tests/hostile_server.py (network misbehaviour) and tests/sources_server.py (hostile documents).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hostile_server import HostileServer, hostile_server  # noqa: F401 - a fixture
from sources_server import Page, PagesServer, pages_server

from watcher.config import Watchlist, parse_watchlist
from watcher.fetch import Fetcher, FetchSettings
from watcher.match import compile_matcher
from watcher.models import Period, PollOutcome, SourceHealth, StoredItem
from watcher.poll import run_poll
from watcher.report import build_digest, render_html, render_text
from watcher.report.message import compose_message
from watcher.sources.health import assess_stored
from watcher.store import Store, upgrade

MiB = 1 << 20
# Small limits keep the suite fast; the hostile routes go far beyond them. 12 MiB lets the 10 MB title in.
LIMITS = FetchSettings(connect_timeout=2, read_timeout=1.5, total_timeout=3, max_bytes=12 * MiB)
RSS = "application/rss+xml; charset=utf-8"
NOW = datetime.now(UTC)


def rss(body: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return f'{prolog}<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


GOOD = rss("".join(f"<item><title>Good story {i} on Pashinyan</title><link>http://good.example/{i}</link>"
                   f"<pubDate>Sat, 21 Nov 2026 10:0{i}:00 GMT</pubDate></item>" for i in range(2)))
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")
DOCUMENTS = {
    "/laughs": rss("<item><title>Laughs &lol9; Pashinyan</title><link>http://bad.example/1</link></item>", LAUGHS),
    "/xxe": rss("<item><title>XXE Pashinyan</title><link>http://bad.example/2</link><description>&xxe;</description>"
                "</item>", '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
    "/bad-utf8": rss("<item><title>Bad BYTES Pashinyan</title><link>http://bad.example/3</link></item>")
    .replace(b"BYTES", b"\xff\xfe\xc3"),
    "/big-title": rss("<item><title>Pashinyan " + "A" * 10_000_000 + "</title><link>http://bad.example/4</link></item>"),
    "/script": rss("<item><title><![CDATA[Pashinyan <script>alert(1)</script>]]></title>"
                   "<link>javascript:alert(1)</link><description><![CDATA[<script>alert(2)</script>"
                   "<a href=\"javascript:alert(3)\">Pashinyan</a> <img src=x onerror=alert(4)>]]></description></item>"),
    "/header": rss("<item><title>Pashinyan&#13;&#10;Bcc: victim@example.com&#10;Subject: owned</title>"
                   "<link>http://bad.example/5</link></item>"),
}


@dataclass(frozen=True)
class Case:
    """A hostile source: where, and what the service must record (an error, or what it stored)."""

    path: str
    error: str | None  # a part of the error recorded on the source; None: the feed is read, made harmless
    status: int | None = None


NETWORK = {
    "drip": Case("/drip", "within 3 s (total_timeout)"),
    "endless body": Case("/endless", "larger than 12582912 bytes (max_bytes)"),
    "gzip bomb": Case("/gzip-bomb", "larger than 12582912 bytes (max_bytes)"),
    "redirect loop": Case("/redirect-loop", "redirect loop", 302),
    "redirect to file:": Case("/redirect-file", "file:///etc/passwd", 302),
    "redirect to ftp:": Case("/redirect-ftp", "ftp://127.0.0.1/feed.xml", 302),
    "HTML page": Case("/html", "is an HTML page, not a feed", 200),
    "Cloudflare challenge": Case("/cloudflare", "challenge", 403),
    "403": Case("/forbidden", "403", 403),
    "429 with Retry-After": Case("/rate-limited", "429", 429),
}


@pytest.fixture(scope="module")
def documents() -> Iterator[PagesServer]:
    pages = {"/good.xml": Page(GOOD, content_type=RSS)}
    pages.update({path: Page(body, content_type=RSS) for path, body in DOCUMENTS.items()})
    with pages_server(pages) as server:
        yield server


@dataclass
class Polled:
    outcomes: dict[str, PollOutcome]
    health: dict[str, SourceHealth]
    items: dict[str, list[StoredItem]]
    peak: int
    store: Store
    watchlist: Watchlist


def poll_beside_a_good_feed(tmp_path: Path, good: str, hostile: str) -> Polled:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    watchlist = parse_watchlist(f"""\
sources:
  - {{name: Good, url: "{good}"}}
  - {{name: Hostile, url: "{hostile}"}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - {{id: daily, title: Daily, to: [analyst@example.org], schedule: "0 7 * * *"}}
""")
    store = Store.open(url)
    store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=NOW)
    matcher = compile_matcher(watchlist.entries)

    async def run() -> list[PollOutcome]:
        async with Fetcher(LIMITS) as fetcher:
            # The store's clock is the test's NOW, however long after collection this test runs.
            return await run_poll(watchlist.sources, watchlist=watchlist, store=store, matcher=matcher,
                                  fetcher=fetcher, settings=LIMITS, clock=lambda: NOW, workers=1)

    tracemalloc.start()
    try:
        outcomes = asyncio.run(run())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    everything = store.items_between(Period(NOW - timedelta(days=1), NOW + timedelta(days=1)))
    return Polled({o.source: o for o in outcomes}, {h.name: h for h in store.source_health()},
                  {name: [i for i in everything if i.source == name] for name in ("Good", "Hostile")}, peak, store,
                  watchlist)


def assert_good_unaffected(polled: Polled) -> None:
    good = polled.outcomes["Good"]
    assert (good.status, good.items_new, good.matches_new) == ("new", 2, 2)
    assert polled.health["Good"].consecutive_failures == 0


@pytest.mark.parametrize("case", NETWORK.values(), ids=NETWORK.keys())
def test_hostile_server(case: Case, tmp_path: Path, hostile_server: HostileServer,  # noqa: F811
                        documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), hostile_server.url(case.path))
    with polled.store:
        assert_good_unaffected(polled)
        outcome, health = polled.outcomes["Hostile"], polled.health["Hostile"]
        assert outcome.status == "error" and case.error in (outcome.error or ""), outcome
        assert health.last_error == outcome.error and "\n" not in health.last_error
        assert (health.consecutive_failures, health.last_status) == (1, case.status)
        assert health.total_items == 0 and polled.items["Hostile"] == []  # nothing stored half-way
        assert polled.peak < 64 * MiB, f"peak {polled.peak / MiB:.0f} MiB"
        if case.status == 429:  # Retry-After: 120 is honoured
            due = polled.store.source_schedules()["Hostile"].next_due_at
            assert due is not None and due >= NOW + timedelta(seconds=119)


def test_truncated_document_keeps_only_whole_items(tmp_path: Path, hostile_server: HostileServer,  # noqa: F811
                                                   documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), hostile_server.url("/truncated"))
    with polled.store:
        assert_good_unaffected(polled)
        outcome = polled.outcomes["Hostile"]
        assert [i.item.title for i in polled.items["Hostile"]] == ["Pashinyan and Aliyev meet in Brussels"]
        assert any("no element found" in p for p in outcome.problems), outcome.problems


@pytest.mark.parametrize("path", ["/laughs", "/xxe"])
def test_entities_are_neither_expanded_nor_fetched(path: str, tmp_path: Path, documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), documents.url(path))
    with polled.store:
        assert_good_unaffected(polled)
        assert polled.peak < 64 * MiB
        outcome, [stored] = polled.outcomes["Hostile"], polled.items["Hostile"]
        assert any("undefined entity" in p for p in outcome.problems), outcome.problems
        assert "lollol" not in stored.item.title and "root:" not in stored.item.text
        assert len(stored.item.title) + len(stored.item.text) < 200


def test_invalid_utf8_loses_the_bad_bytes_not_the_feed(tmp_path: Path, documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), documents.url("/bad-utf8"))
    with polled.store:
        assert_good_unaffected(polled)
        [stored] = polled.items["Hostile"]
        assert stored.item.title.startswith("Bad ") and stored.item.title.endswith(" Pashinyan")
        assert any("UTF-8" in p for p in polled.outcomes["Hostile"].problems)
        assert polled.outcomes["Hostile"].matches_new == 1


def test_a_10_mb_title_is_cut_and_memory_stays_bounded(tmp_path: Path, documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), documents.url("/big-title"))
    with polled.store:
        assert_good_unaffected(polled)
        [stored] = polled.items["Hostile"]
        assert stored.item.title.startswith("Pashinyan AAA") and len(stored.item.title) <= 1000
        assert polled.peak < 200 * MiB, f"peak {polled.peak / MiB:.0f} MiB for a 10 MB document"


def test_script_and_javascript_links_are_harmless_in_the_digest(tmp_path: Path, documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), documents.url("/script"))
    with polled.store:
        [stored] = polled.items["Hostile"]
        assert stored.item.link is None and "<script" not in stored.item.title
        html, text = digest_of(polled)
        assert "Pashinyan" in html and "alert(" not in html and "javascript:" not in html.lower()
        assert "<script" not in html.lower() and "onerror" not in html.lower()
        assert "javascript:" not in text.lower()


def test_newlines_and_header_text_in_titles_stay_out_of_mail_headers(tmp_path: Path,
                                                                     documents: PagesServer) -> None:
    polled = poll_beside_a_good_feed(tmp_path, documents.url("/good.xml"), documents.url("/header"))
    with polled.store:
        [stored] = polled.items["Hostile"]
        assert "\n" not in stored.item.title and "\r" not in stored.item.title
        html, text = digest_of(polled)
        digest = build(polled)
        raw = compose_message(digest, sender="watcher@example.org", recipient="analyst@example.org",
                              text=text, html=html)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Bcc"] is None and message.get_all("Subject") is not None
        assert len(message.get_all("Subject")) == 1 and "owned" not in str(message["Subject"])
        assert "Bcc: victim@example.com" in message.get_body(("plain",)).get_content()  # shown, as text


def build(polled: Polled):  # type: ignore[no-untyped-def]
    period = Period(NOW - timedelta(days=1), NOW + timedelta(minutes=1))
    return build_digest(polled.watchlist.digest("daily"), polled.watchlist, polled.store.matches_between(period),
                        assess_stored(polled.store, polled.watchlist, now=NOW), period, now=NOW + timedelta(minutes=1))


def digest_of(polled: Polled) -> tuple[str, str]:
    digest = build(polled)
    return render_html(digest), render_text(digest)
