"""Kinds of source as pure functions: the schema's rules with file:line, search and channel URLs, feed links
on a page, OPML both ways, the stale flag, article extraction; and the `watcher sources` subcommands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sources_server import Page, pages_server

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.config.feed_urls import discovers, search_query
from watcher.errors import ConfigError, ParseError
from watcher.models import Item
from watcher.sources.discover import common_paths, feed_links
from watcher.sources.fulltext import extract_article, with_article
from watcher.sources.health import staleness
from watcher.sources.opml import OpmlFeed, parse_opml, to_opml, yaml_entries

ACTORS = """\
actors:
  - {id: pashinyan, name: Nikol Pashinyan, aliases: [Pashinian, Փաշինյան]}
situations:
  - {id: talks, title: Peace talks, actors: [pashinyan]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "watchlist.yaml")
    return caught.value.problems


@pytest.mark.parametrize(("source", "message"), [
    ("{name: a}", "give exactly one of url:, site:, search:, youtube: (found none)"),
    ("{name: a, url: 'https://x.am/rss', site: 'https://x.am'}", "(found url, site)"),
    ("{name: a, youtube: 'not-a-channel'}", "neither a channel id"),
    ("{name: a, youtube: 'https://www.youtube.com/watch?v=abc'}", "is not a channel URL"),
    ("{name: a, search: {when: 7 days, query: x}}", "is not a news-search age"),
    ("{name: a, search: {lang: hy}}", "a search needs query:, actors:, situation: or site:"),
    ("{name: a, search: {actors: [nobody]}}", "sources[0].search.actors[0]: no actor or term has id 'nobody'"),
    ("{name: a, search: {situation: nothing}}", "sources[0].search.situation: no situation has id 'nothing'"),
])
def test_source_mistakes_are_reported_with_their_line(source: str, message: str) -> None:
    found = problems(f"sources:\n  - {{name: ok, url: 'https://x.am/rss'}}\n  - {source}\n" + ACTORS)
    assert len(found) == 1 and found[0].startswith("watchlist.yaml:3: sources[1]"), found
    assert message.replace("sources[0]", "sources[1]") in found[0]


def test_each_kind_gets_its_feed_url() -> None:
    watchlist = parse_watchlist("""\
defaults: {search_url: "http://127.0.0.1:9/rss/search"}
sources:
  - {name: feed, url: "https://x.am/rss"}
  - {name: site, site: "https://news.az/"}
  - {name: channel, youtube: UC0123456789abcdefghijkl}
  - {name: channel url, youtube: "https://www.youtube.com/channel/UC0123456789abcdefghijkl/videos"}
  - {name: user, youtube: "https://www.youtube.com/user/azatutyun"}
  - {name: handle, youtube: "https://www.youtube.com/@civilnet"}
  - {name: actor, search: {actors: [pashinyan], site: armenpress.am, when: 1d, lang: hy}}
  - {name: situation, search: {situation: talks, lang: ru}}
  - {name: by hand, search: "Karabakh refugees"}
""" + ACTORS)
    kinds = {s.name: (s.kind, s.url, discovers(s)) for s in watchlist.sources}
    feed = "https://www.youtube.com/feeds/videos.xml"
    assert kinds["feed"] == ("url", "https://x.am/rss", False)
    assert kinds["site"] == ("site", "https://news.az/", True)
    assert kinds["channel"] == ("youtube", f"{feed}?channel_id=UC0123456789abcdefghijkl", False)
    assert kinds["channel url"] == kinds["channel"][:1] + kinds["channel"][1:]
    assert kinds["user"][1] == f"{feed}?user=azatutyun"
    assert kinds["handle"] == ("youtube", "https://www.youtube.com/@civilnet", True)  # the page names the feed
    query = {k: v[0] for k, v in parse_qs(urlsplit(kinds["actor"][1]).query).items()}
    assert kinds["actor"][1].startswith("http://127.0.0.1:9/rss/search?")
    assert query == {"q": '("Nikol Pashinyan" OR Pashinian OR Փաշինյան) site:armenpress.am when:1d',
                     "hl": "hy", "gl": "AM", "ceid": "AM:hy"}
    assert "hl=ru&gl=RU&ceid=RU:ru" in kinds["situation"][1]
    assert "q=Karabakh+refugees&hl=en-US&gl=US&ceid=US:en" in kinds["by hand"][1]


def test_search_query_quotes_phrases_and_drops_quotes_inside() -> None:
    watchlist = parse_watchlist('actors:\n  - {id: a, name: Said "Sako" Avetisyan}\n'
                                'sources:\n  - {name: s, search: {actors: [a], query: "-sport"}}\n')
    search = watchlist.sources[0].search
    assert search is not None
    assert search_query(search, watchlist) == '"Said Sako Avetisyan" -sport'


def test_feed_links_read_the_page_not_a_pattern() -> None:
    page = b"""<html><head><base href="https://x.am/en/">
    <link rel="stylesheet" href="/s.css">
    <link rel="alternate" type="application/atom+xml" title="Comments feed" href="comments/feed">
    <link REL="Alternate" TYPE="application/rss+xml; charset=utf-8" title="News" href="rss">
    <link rel="alternate" type="text/html" hreflang="ru" href="/ru/">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <!-- <link rel="alternate" type="application/rss+xml" href="/commented-out"> -->
    </head><body></body></html>"""
    links = feed_links(page, "https://x.am/")
    assert [(f.url, f.title) for f in links] == [("https://x.am/en/rss", "News"),
                                                 ("https://x.am/en/comments/feed", "Comments feed")]
    assert feed_links(b"", "https://x.am/") == [] and feed_links(b"\x00\xff" * 10, "https://x.am/") == []
    assert common_paths("https://x.am/")[:6] == [f"https://x.am{p}" for p in
                                                 ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")]


def test_opml_round_trip_with_folders_as_tags_and_entities_refused() -> None:
    feeds = [OpmlFeed("Armenpress", "https://armenpress.am/rss", "https://armenpress.am", ()),
             OpmlFeed('News "&" <more>', "https://x.am/rss?a=1&b=2")]
    assert parse_opml(to_opml(feeds).encode()) == [OpmlFeed(f.name, f.url, f.site) for f in feeds]
    nested = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <opml version="1.0"><body><outline text="Armenia">
      <outline text="News.am" xmlUrl="https://news.am/eng/rss/"/><outline text="News.am" xmlUrl="https://news.am/rus/rss/"/>
      <outline text="bad" xmlUrl="javascript:alert(1)"/></outline></body></opml>"""
    assert parse_opml(nested) == [OpmlFeed("News.am", "https://news.am/eng/rss/", None, ("armenia",)),
                                  OpmlFeed("News.am (2)", "https://news.am/rus/rss/", None, ("armenia",))]
    yaml = yaml_entries(parse_opml(nested), existing=["https://news.am/rus/rss/"])
    assert yaml == '  - name: "News.am"\n    url: "https://news.am/eng/rss/"\n    tags: ["armenia"]\n'
    with pytest.raises(ParseError):
        parse_opml(b"<html><body>not opml</body></html>")
    laughs = b'<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>' \
             b'<outline text="&b;" xmlUrl="https://x.am/rss"/></body></opml>'
    with pytest.raises(ParseError):  # the entity is not defined once the DOCTYPE is cut
        parse_opml(laughs)


def test_stale_after_three_usual_gaps_and_never_before_three_days() -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    hourly = [now - timedelta(days=5, hours=h) for h in range(10)]
    flag = staleness(hourly, now=now)
    assert flag is not None and flag.usual_gap == timedelta(hours=1) and flag.limit == timedelta(days=3)
    assert flag.describe() == "stale: newest item 5d old, usually one every 1h"
    assert staleness([now - timedelta(days=2, hours=h) for h in range(10)], now=now) is None  # floor: 3 days
    weekly = [now - timedelta(days=20 + 7 * w) for w in range(5)]
    assert staleness(weekly, now=now) is None  # 20 days, but a weekly source is stale only after 21
    assert staleness(weekly, now=now + timedelta(days=2)) is not None
    assert staleness(hourly[:2], now=now) is None  # two items say nothing about a rhythm


def test_article_text_replaces_a_teaser_only_when_longer() -> None:
    page = ("<html><body><nav>Menu</nav><article><h1>Title</h1>"
            + "<p>A paragraph about the border talks and the roads in the north of the country.</p>" * 8
            + "</article></body></html>")
    text = extract_article(page.encode(), "https://x.am/a")
    assert text is not None and "border talks" in text and "Menu" not in text
    teaser = Item(key="k", title="t", text="Read more", link="https://x.am/a",
                  published=datetime(2026, 11, 21, tzinfo=UTC))
    assert with_article(teaser, text).text == text
    assert with_article(teaser, None) is teaser and with_article(teaser, "short") is teaser
    assert extract_article(b"") is None and extract_article(b"\x00\x01binary") is None


def test_sources_discover_import_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>'
    pages = {"/": Page(b'<html><head><link rel="alternate" type="application/rss+xml" href="/broken.xml">'
                       b'</head></html>'),
             "/rss.xml": Page(feed, content_type="application/rss+xml")}
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n  - {name: A, url: 'https://a.am/rss', tags: [am]}\n  - {name: S, site: 'https://s.az'}\n")
    with pages_server(pages) as server:
        assert main(["--config", str(config), "sources", "discover", server.url("/")]) == 0
        out = capsys.readouterr().out
        assert f"link  {server.url('/broken.xml')}: no feed: " in out
        assert f"path  {server.url('/rss.xml')}: 1 items" in out and out.endswith(f"feed: {server.url('/rss.xml')}\n")
        del server.pages["/rss.xml"]
        assert main(["--config", str(config), "sources", "discover", server.url("/")]) == 1
        assert "no RSS or Atom feed found" in capsys.readouterr().err
    assert main(["--config", str(config), "sources", "export"]) == 0
    opml = capsys.readouterr().out
    assert 'xmlUrl="https://a.am/rss"' in opml and 'htmlUrl="https://s.az"' in opml
    (tmp_path / "in.opml").write_text(opml.replace("https://a.am/rss", "https://b.am/rss"))
    assert main(["--config", str(config), "sources", "import", str(tmp_path / "in.opml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# 2 feeds in in.opml, 1 already in the watchlist")
    assert parse_watchlist("sources:\n" + out.split("\n", 1)[1]).sources[0].url == "https://b.am/rss"
    assert main(["--config", str(config), "sources", "import"]) == 2
