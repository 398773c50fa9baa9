"""Feeds out: `watcher feed SITUATION` and the service's /feeds/ carry the items the digest puts in the situation
(its entries OR its query), newest first, as Atom that feedparser reads cleanly and as JSON Feed 1.1."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from webhook_server import free_port

from watcher.cli import main
from watcher.config import load_watchlist
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store
from watcher.store.migrate import upgrade
from watcher.syndication import FeedItem, SituationFeed, render_bounded

CONFIG = """\
sources:
  - {name: Wire, url: "http://127.0.0.1:9/wire.xml", display_name: Wire Service, enabled: false}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
  - {id: putin, name: Vladimir Putin}
situations:
  - {id: peace, title: Peace process, actors: [pashinyan], query: "treaty"}
  - {id: russia, title: Russia's role, actors: [putin]}
"""


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store holding: Pashinyan (2 h ago), Putin (1 h ago), a treaty item naming no one (30 min ago), and
    Pashinyan found ten days ago."""
    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(url)
    config = tmp_path / "watchlist.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    matcher = compile_matcher(load_watchlist(config).entries)
    now = datetime.now(UTC)
    with Store.open(url) as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=now - timedelta(days=30))
        for title, text, ago in [
            ("Pashinyan visits Gyumri", "The prime minister Nikol Pashinyan opened a factory.", timedelta(hours=2)),
            ("Putin calls for talks", "Vladimir Putin said on Monday that talks should resume.", timedelta(hours=1)),
            ("Negotiators publish the treaty draft", "The draft treaty has 17 articles.", timedelta(minutes=30)),
            ("Pashinyan in Brussels", "Nikol Pashinyan met EU officials.", timedelta(days=10)),
        ]:
            slug = title.lower().replace(" ", "-")
            item = Item(key=f"https://example.org/{slug}", title=title, text=text, link=f"https://example.org/{slug}",
                        published=now - ago)
            store.record_success("Wire", now=now - ago, status=200, etag=None, last_modified=None, items=[item],
                                 matches={item.key: matcher.match(item)})
    yield url


def feed_of(capsys: pytest.CaptureFixture[bytes], *args: str) -> bytes:
    assert main(["feed", *args]) == 0
    out: bytes = capsys.readouterr().out
    return out


def check_json_feed(doc: dict[str, Any]) -> None:
    """The rules of JSON Feed 1.1 (jsonfeed.org/version/1.1) for what watcher writes: feedparser 6.0 reads no JSON."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and isinstance(doc["title"], str)
    ids = [item["id"] for item in doc["items"]]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) for i in ids)
    for item in doc["items"]:
        assert isinstance(item.get("content_text"), str)
        datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert all(isinstance(a["name"], str) for a in item["authors"])
        assert all(isinstance(t, str) for t in item["tags"])


def test_the_atom_feed_carries_the_situations_recent_items_newest_first(
        store_url: str, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    parsed = feedparser.parse(feed_of(capsysbinary, "peace"))
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.feed.title == "Peace process"
    # Pashinyan's item and the treaty item its query selects; not Putin's, not the one found ten days ago.
    assert [e.title for e in parsed.entries] == ["Negotiators publish the treaty draft", "Pashinyan visits Gyumri"]
    treaty, gyumri = parsed.entries
    assert gyumri.link == "https://example.org/pashinyan-visits-gyumri"
    assert gyumri.author == "Wire Service"
    assert [t.term for t in gyumri.tags] == ["Nikol Pashinyan"]
    assert gyumri.summary == "The prime minister Nikol Pashinyan opened a factory."  # the marks of the hit removed
    assert gyumri.published_parsed is not None and gyumri.id != treaty.id
    assert [t.term for t in treaty.tags] == ["key development"] and "17 articles" in treaty.summary
    older = feedparser.parse(feed_of(capsysbinary, "peace", "--since", "30d", "--limit", "5"))
    assert [e.title for e in older.entries][-1] == "Pashinyan in Brussels"
    assert [e.title for e in feedparser.parse(feed_of(capsysbinary, "russia")).entries] == ["Putin calls for talks"]


def test_the_json_feed_carries_the_same_items(store_url: str, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    doc = json.loads(feed_of(capsysbinary, "peace", "--format", "json"))
    check_json_feed(doc)
    assert doc["title"] == "Peace process"
    assert [i["title"] for i in doc["items"]] == ["Negotiators publish the treaty draft", "Pashinyan visits Gyumri"]
    gyumri = doc["items"][1]
    assert gyumri["url"] == "https://example.org/pashinyan-visits-gyumri"
    assert gyumri["authors"] == [{"name": "Wire Service"}] and gyumri["tags"] == ["Nikol Pashinyan"]
    atom = feedparser.parse(feed_of(capsysbinary, "peace"))
    assert [i["id"] for i in doc["items"]] == [e.id for e in atom.entries]  # one identity per item in both


def test_an_unknown_situation_is_one_line_naming_the_known_ones(
        store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feed", "nope"]) == 2
    assert "no situation with id 'nope' (situations: peace, russia)" in capsys.readouterr().err


def test_a_feed_is_kept_within_its_size_by_leaving_out_its_oldest_items() -> None:
    now = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    items = tuple(FeedItem(item_id=n, title=f"Item {n} " + "x" * 500, link=f"https://example.org/{n}", outlet="Wire",
                           published=now - timedelta(minutes=n), entries=("Nikol Pashinyan",), snippet="y" * 500,
                           key=False) for n in range(200))
    feed = SituationFeed("peace", "Peace process", now, items)
    for fmt in ("atom", "json"):
        body = render_bounded(feed, fmt, max_bytes=50_000)  # type: ignore[arg-type]
        assert 10_000 < len(body) <= 50_000
    kept = feedparser.parse(render_bounded(feed, "atom", max_bytes=50_000)).entries
    assert [e.title.split()[1] for e in kept] == [str(n) for n in range(len(kept))]  # the newest, in order


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers["Content-Type"]


def test_the_service_serves_the_feeds_read_only(store_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "watchlist.yaml"
    settings = Settings(database_url=store_url, outbox=tmp_path / "out", http_listen=f"127.0.0.1:{port}")
    answers: dict[str, tuple[int, bytes, str]] = {}

    async def scenario() -> None:
        service = Service(config, settings, load_watchlist(config))
        task = asyncio.create_task(service.run())
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                await asyncio.to_thread(get, f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP endpoint did not start"
                await asyncio.sleep(0.1)
        for path in ("/feeds/peace.atom", "/feeds/peace.json", "/feeds/nope.atom", "/feeds/peace.rss",
                     "/feeds/peace.atom"):
            status, body, kind = await asyncio.to_thread(get, base + path)
            while status == 503:  # being built for another request
                await asyncio.sleep(0.1)
                status, body, kind = await asyncio.to_thread(get, base + path)
            answers.setdefault(path, (status, body, kind))
        service.stop()
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())
    status, body, kind = answers["/feeds/peace.atom"]
    assert status == 200 and kind.startswith("application/atom+xml")
    assert [e.title for e in feedparser.parse(body).entries] == ["Negotiators publish the treaty draft",
                                                                  "Pashinyan visits Gyumri"]
    status, body, kind = answers["/feeds/peace.json"]
    assert status == 200 and kind.startswith("application/feed+json")
    check_json_feed(json.loads(body))
    assert answers["/feeds/nope.atom"][0] == 404 and answers["/feeds/peace.rss"][0] == 404
