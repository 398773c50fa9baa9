"""The bundled demo data: every sample feed parses into the intended items with its intended quirks, and the
demo watchlist loads once its port is filled in and stays a copy of the shipped watchlist."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from watcher.config import Watchlist, load_watchlist

DEMO = Path(str(files("watcher") / "demo_data"))
SHIPPED = Path(__file__).resolve().parents[1] / "watchlist.yaml"

# file -> (feedparser's version, encoding, number of items)
FEEDS = {
    "caucasus-wire-en.rss.xml": ("rss20", "utf-8", 13),
    "kavkaz-lenta-ru.rss.xml": ("rss20", "windows-1251", 11),
    "lratu-hy.atom.xml": ("atom10", "utf-8", 10),
    "arminfo-like-en.rss.xml": ("rss20", "utf-8", 9),
    "baku-courier-en.rss.xml": ("rss20", "utf-8", 8),
}


def _parse(name: str) -> feedparser.FeedParserDict:
    return feedparser.parse((DEMO / name).read_bytes())


def _demo_watchlist(tmp_path: Path, port: int = 8765) -> Watchlist:
    text = (DEMO / "demo-watchlist.yaml").read_text(encoding="utf-8")
    path = tmp_path / "demo-watchlist.yaml"
    path.write_text(text.replace("{port}", str(port)), encoding="utf-8")
    return load_watchlist(path)


def test_the_folder_holds_exactly_the_intended_feeds() -> None:
    feeds = {p.name for p in DEMO.iterdir() if p.suffix == ".xml"}
    assert feeds == set(FEEDS)


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_every_feed_parses_cleanly_into_its_items(name: str) -> None:
    version, encoding, count = FEEDS[name]
    parsed = _parse(name)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert (parsed.version, parsed.encoding.lower(), len(parsed.entries)) == (version, encoding, count)
    links = [e.link for e in parsed.entries]
    assert len(set(links)) == len(links)
    assert all(e.title and e.summary for e in parsed.entries)
    assert all(e.published_parsed is not None and e.published_parsed.tm_year == 2026 for e in parsed.entries)


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_every_feed_says_it_is_fictional_and_links_nowhere_real(name: str) -> None:
    parsed = _parse(name)
    assert re.search(r"fictional|вымышлен", parsed.feed.subtitle, re.IGNORECASE)
    hosts = {urlsplit(e.link).hostname or "" for e in parsed.entries}
    assert hosts and all(h.endswith(".example") for h in hosts)  # a reserved top-level domain


def test_the_russian_feed_is_really_windows_1251() -> None:
    raw = (DEMO / "kavkaz-lenta-ru.rss.xml").read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    titles = " ".join(e.title for e in _parse("kavkaz-lenta-ru.rss.xml").entries)
    assert "Пашиняна" in titles and "Кочаряну" in titles


def test_the_armenian_feed_is_atom_with_html_summaries() -> None:
    parsed = _parse("lratu-hy.atom.xml")
    assert all(re.search(r"[\u0531-\u058F]", e.title) for e in parsed.entries)
    assert all(e.summary_detail.type == "text/html" for e in parsed.entries)
    assert any("Ստեփանակերտում" in e.title for e in parsed.entries)


def test_the_arminfo_like_feed_has_zone_less_dates_and_double_escaped_text() -> None:
    raw = (DEMO / "arminfo-like-en.rss.xml").read_text(encoding="utf-8")
    dates = re.findall(r"<pubDate>([^<]*)</pubDate>", raw)
    assert len(dates) == FEEDS["arminfo-like-en.rss.xml"][2]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", d) for d in dates)
    assert "&amp;nbsp;" in raw
    # After one round of unescaping the entities are still there: a parser must unescape again.
    assert all("&nbsp;" in e.summary for e in _parse("arminfo-like-en.rss.xml").entries)


def _spelling_stems(watchlist: Watchlist) -> set[str]:
    # The last word of each spelling, at the start of a word: a crude "mentions" that survives case endings
    # in all three scripts (short words such as "ring" or "army" say little on their own).
    words = {s.split()[-1].casefold() for e in watchlist.entries for s in (e.name, *e.aliases)}
    return {w for w in words if len(w) >= 5}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_about_half_of_the_items_mention_the_watchlist(name: str) -> None:
    stems = _spelling_stems(load_watchlist(SHIPPED))
    entries = _parse(name).entries
    mentions = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(stems))) + ")")
    mentioning = [e for e in entries if mentions.search(f"{e.title} {e.summary}".casefold())]
    assert 0.3 <= len(mentioning) / len(entries) <= 0.8, [e.title for e in mentioning]


def test_the_demo_watchlist_loads_and_points_at_the_demo_feeds(tmp_path: Path) -> None:
    watchlist = _demo_watchlist(tmp_path, port=41234)
    assert all(urlsplit(s.url)[:2] == ("http", "127.0.0.1:41234") for s in watchlist.sources)
    assert {urlsplit(s.url).path.lstrip("/") for s in watchlist.sources} == set(FEEDS)
    arminfo = watchlist.source("arminfo-like")
    assert arminfo.timezone == "Asia/Yerevan"


def test_the_demo_watchlist_keeps_the_shipped_entries_situations_and_digests(tmp_path: Path) -> None:
    demo, shipped = _demo_watchlist(tmp_path), load_watchlist(SHIPPED)
    assert (demo.actors, demo.terms, demo.situations, demo.digests) == (
        shipped.actors, shipped.terms, shipped.situations, shipped.digests)
    assert demo.defaults == shipped.defaults


def test_the_readme_describes_every_feed_with_its_item_count() -> None:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "fictional" in readme.lower()
    for name, (_, _, count) in FEEDS.items():
        assert re.search(rf"\| `{re.escape(name)}` \|[^|]*\| {count} \|", readme), name
