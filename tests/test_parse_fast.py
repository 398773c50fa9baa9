"""The lxml fast path against feedparser: over every corpus file, golden feed and hostile document, the
fast path yields exactly the feedparser path's ParsedFeed, or hands the document to feedparser."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest
from conftest import corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped]
from test_parse_conformance import CORPUS as FEEDPARSER_CORPUS
from test_parse_conformance import corpus_files as feedparser_corpus_files
from test_parse_golden import CASES, FETCHED_AT, GOLDEN

from watcher.errors import ParseError
from watcher.models import ParsedFeed
from watcher.parse import parse_feed
from watcher.parse.encoding import decode_document, gunzip
from watcher.parse.fast import fast_parse
from watcher.parse.fast_items import ItemReader
from watcher.parse.fast_values import _HANDLED, NAMESPACES
from watcher.parse.sniff import root_element, without_doctype
from watcher.parse.text import _strip_tags, html_to_text, normalise_text

FETCHED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Corpus files the fast path must take (clean RSS 2.0, RSS 1.0 and Atom); the rest may go to feedparser.
FAST_CORPUS = {
    "dhvcc__bbc_news_frontpage.rss.xml", "ffp__aljazeera_all.rss.xml", "dhvcc__slashdot_rss1.0_iso-8859-1.rdf.xml",
    "tehte__ukranews_default_ns.rss.xml", "nodefp__oren_ru_windows-1251.rss.xml.gz", "miniflux__heise_rss0.9_rdf.xml",
}


def both(content: bytes, *, url: str, headers: tuple[tuple[str, str], ...] = (), zone: str = "UTC",
         fetched_at: datetime = FETCHED) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    """The result of each path: a ParsedFeed, or the ParseError's text."""
    results: list[ParsedFeed | str] = []
    for fast in (True, False):
        try:
            results.append(parse_feed(content, url=url, headers=headers, fetched_at=fetched_at, timezone=zone,
                                      fast_path=fast))
        except ParseError as exc:
            results.append(str(exc))
    return results[0], results[1]


def takes_fast_path(content: bytes, *, url: str, language: str | None = None) -> bool:
    """True when the fast path reads the document itself instead of handing it to feedparser."""
    if content[:2] == b"\x1f\x8b":
        content = gunzip(content)
    text = decode_document(content).text.lstrip()
    start, _ = root_element(text)
    return fast_parse(without_doctype(text, start), url=url, language=language) is not None


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_same_items_both_ways(path: Path) -> None:
    url = f"https://corpus.example/{path.name}"
    fast, slow = both(path.read_bytes(), url=url)
    assert fast == slow
    if path.name in FAST_CORPUS:
        assert takes_fast_path(path.read_bytes(), url=url)


@pytest.mark.skipif(not FEEDPARSER_CORPUS.is_dir(), reason="../shared/corpus/feedparser-tests is not beside the repository")
def test_feedparser_corpus_same_items_both_ways() -> None:
    """Every file of feedparser's test corpus that the fast path takes gives what feedparser's path gives."""
    taken, differ = 0, []
    for path in feedparser_corpus_files():
        url = f"https://corpus.example/{path.relative_to(FEEDPARSER_CORPUS).as_posix()}"
        content = path.read_bytes()
        if takes_fast_path(content, url=url):
            taken += 1
            fast, slow = both(content, url=url)
            if fast != slow:
                differ.append(path.name)
    assert differ == []
    assert taken > 500  # the clean RSS and Atom files of the corpus, so the comparison is not empty


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_feed_same_items_both_ways(name: str) -> None:
    url, headers, zone = CASES[name]
    fast, slow = both((GOLDEN / name).read_bytes(), url=url, headers=headers, zone=zone, fetched_at=FETCHED_AT)
    assert fast == slow


def test_golden_feeds_mostly_take_the_fast_path() -> None:
    fast = [name for name in CASES if takes_fast_path((GOLDEN / name).read_bytes(), url=CASES[name][0])]
    assert {"rss20.xml", "atom.xml", "rss10.rdf", "cp1251.xml"} <= set(fast)


URL = "https://hostile.example/feed.xml"


def rss(items: str, prolog: str = "", channel: str = "<title>T</title>") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>{channel}{items}</channel></rss>'.encode()


HOSTILE = {
    "entity_bomb": rss("<item><title>a &lol2; b</title><link>https://h.example/1</link></item>",
                       '<!DOCTYPE rss [<!ENTITY lol0 "lol"><!ENTITY lol1 "&lol0;&lol0;"><!ENTITY lol2 "&lol1;&lol1;">]>'),
    "external_entity": rss("<item><title>&xxe;</title><link>https://h.example/1</link></item>",
                           '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
    "html_entity": rss("<item><title>a&nbsp;b</title><link>https://h.example/1</link></item>"),
    "truncated": rss("<item><title>one</title><link>https://h.example/1</link></item>"
                     "<item><title>two</title><link>https://h.example/2</link></item>")[:-40],
    "markup_in_description": rss("<item><title>t</title><description><p>Hello <b>world</b></p></description></item>"),
    "cdata_script": rss("<item><title>t<![CDATA[<script>x</script>]]></title><link>javascript:alert(1)</link>"
                        "<description><![CDATA[<p>Hi</p><script>alert(1)</script>]]></description></item>"),
    "guid_permalink": rss("<item><title>t</title><guid>42</guid></item><item><title>u</title>"
                          "<guid isPermaLink=\"false\">x</guid><link>/rel/2?a=1&amp;b=2</link></item>"),
    "same_guid": rss("<item><title>a</title><guid>https://h.example/same</guid></item>"
                     "<item><title>b</title><guid>https://h.example/same</guid></item>"),
    "empty_link_href": rss('<item><title>t</title><atom:link xmlns:atom="http://www.w3.org/2005/Atom" href=""/></item>'),
    "xml_base": rss('<item xml:base="https://other.example/x/"><title>t</title><link>rel</link></item>'),
    "xml_lang": rss('<item><title xml:lang="ru">т</title><link>https://h.example/1</link></item>'),
    "base_any_case": rss('<item BaSe="https://other.example/x/"><title>t</title><link>rel</link></item>'),
    "lang_any_case": rss('<item><title LanG="ru">т</title><link>https://h.example/1</link></item>'),
    "mojibake": "<?xml version='1.0'?><rss version='2.0'><channel><item><title>Ã©tÃ©</title>"
                "<description>\u0080 price \u0099</description></item></channel></rss>".encode(),
    "two_descriptions": rss("<item><title>t</title><description>one</description><description>two</description></item>"),
    "content_then_description": rss('<item><title>t</title><content:encoded xmlns:content='
                                    '"http://purl.org/rss/1.0/modules/content/">&lt;p&gt;long text&lt;/p&gt;'
                                    "</content:encoded><description>short</description></item>"),
    "author_email": rss("<item><title>t</title><author>anna@example.com (Anna)</author></item>"),
    "source": rss('<item><title>Story - Outlet</title><source url="https://outlet.example/rss">Outlet</source>'
                  "<link>https://news.example/1</link></item>"),
    "odd_dates": rss("<item><title>a</title><pubDate>Tuesday, 4 June 2026 10:00</pubDate></item>"
                     "<item><title>b</title><pubDate>2026-06-04T10:00:00.123+04:00</pubDate></item>"
                     "<item><title>c</title><pubDate>not a date</pubDate><dc:date xmlns:dc="
                     '"http://purl.org/dc/elements/1.1/">2026-06-01</dc:date></item>'),
    "unknown_namespace_title": rss('<item><x:title xmlns:x="urn:x">X</x:title><title>t</title></item>'),
    "prefix_rebound": rss('<item><dc:title xmlns:dc="urn:not-dc">X</dc:title><title>t</title></item>'),
    "atom": b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="hy"><title type="text">F</title>'
            b'<link href="https://h.example/"/><entry><title type="html">A &amp;lt;b&amp;gt;</title>'
            b'<id>urn:1</id><author><name>N</name><email>n@h.example</email></author>'
            b'<content type="html">&lt;p&gt;x&lt;/p&gt;</content><summary>s</summary>'
            b'<link rel="alternate" href="/a/1"/><updated>2026-06-01T00:00:00Z</updated></entry></feed>',
    "atom_xhtml": b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title><id>urn:2</id>'
                  b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry></feed>',
    "nested_items": rss("<item><title>a</title><item><title>b</title></item></item>"),
    # The fetched bytes go to lxml as they are only under a declaration of XML 1.0 in UTF-8 (or none).
    "xml_1_1": b'<?xml version="1.1" encoding="utf-8"?><rss version="2.0"><channel><item><title>\xc3\xa9</title>'
               b"<link>https://h.example/1</link></item></channel></rss>",
    "declared_latin1_ascii": b"<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?><rss version='2.0'><channel>"
                             b"<item><title>t</title><link>https://h.example/1</link></item></channel></rss>",
    "stylesheet_first": b'<?xml-stylesheet type="text/xsl" href="rss.xsl"?><rss version="2.0"><channel><item>'
                        b"<title>\xd0\xb6</title><link>https://h.example/1</link></item></channel></rss>",
    "no_declaration": b'<rss version="2.0"><channel><item><title>\xd0\xb6 &amp; x</title><guid>https://h.example/1</guid>'
                      b"</item></channel></rss>",
    "empty": rss(""),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_document_same_result_both_ways(name: str) -> None:
    fast, slow = both(HOSTILE[name], url=URL, headers=(("content-language", "en"),))
    assert fast == slow


@pytest.mark.parametrize("name", ["entity_bomb", "external_entity", "html_entity", "truncated",
                                  "markup_in_description", "xml_base", "xml_lang", "base_any_case", "lang_any_case",
                                  "atom_xhtml", "nested_items",
                                  "two_descriptions", "empty"])
def test_what_the_fast_path_does_not_reproduce_goes_to_feedparser(name: str) -> None:
    assert not takes_fast_path(HOSTILE[name], url=URL)


@pytest.mark.parametrize("name", ["guid_permalink", "same_guid", "mojibake", "content_then_description", "source",
                                  "odd_dates", "atom", "author_email", "cdata_script", "xml_1_1", "declared_latin1_ascii",
                                  "stylesheet_first", "no_declaration"])
def test_clean_documents_take_the_fast_path(name: str) -> None:
    assert takes_fast_path(HOSTILE[name], url=URL)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=400)
       | st.sampled_from(["", "word " * 60_000, "a\r\n" * 70_000, "\u00ad\u200b x \x85 y\u2028z " * 20_000]))
def test_html_to_text_shortcut_for_plain_text_equals_the_html_parser(raw: str) -> None:
    assert html_to_text(raw) == normalise_text(_strip_tags(raw))


# The fast path's copies of what feedparser knows (fast_values), probed through feedparser's public parse().

def _item_with(element: str) -> bytes:
    return rss(f"<item><title>t</title><link>https://h.example/1</link><description>d</description>{element}</item>")


@pytest.mark.parametrize(("uri", "prefix"), sorted(NAMESPACES.items()))
def test_namespace_table_is_feedparsers(uri: str, prefix: str) -> None:
    """feedparser files an element of each namespace under the table's prefix, whatever the document's."""
    if not uri:
        return
    parsed = feedparser.parse(_item_with(f'<zz:probe xmlns:zz="{uri}">v</zz:probe>'))
    key = f"{prefix}_probe" if prefix else "probe"
    assert key.lower() in parsed.entries[0] and "zz_probe" not in parsed.entries[0]


def test_an_unknown_namespace_is_filed_under_the_documents_prefix() -> None:
    parsed = feedparser.parse(_item_with('<zz:probe xmlns:zz="urn:example:unknown">v</zz:probe>'))
    assert parsed.entries[0].get("zz_probe") == "v"


def _element_keys() -> list[str]:
    """Every element name feedparser has a handler for, and every one the items of both corpora use."""
    prefixes = {prefix for prefix in NAMESPACES.values() if prefix}
    keys = set()
    for name in _HANDLED:
        head, _, rest = name.partition("_")
        keys.add(f"{head}:{rest}" if head in prefixes and rest else name)
    reader = ItemReader(lambda value: value)
    for path in [*corpus_files(), *feedparser_corpus_files()]:
        content = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        try:
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
        except (etree.XMLSyntaxError, ValueError):
            continue
        for element in root.iter() if root is not None else ():
            if reader.key(element) in ("item", "entry"):
                keys.update(key for child in element if (key := reader.key(child)))
    return sorted(keys)


@pytest.mark.parametrize("key", _element_keys())
def test_an_element_is_read_as_feedparser_reads_it(key: str) -> None:
    """An item holding the element: the fast path either hands it over or reads what feedparser reads (an
    element it takes for harmless must be one without a feedparser handler that reaches feed.py's fields)."""
    prefix, _, local = key.rpartition(":")
    uri = next((uri for uri, known in NAMESPACES.items() if known == prefix), f"urn:example:{prefix}")
    element = (f'<{prefix}:{local} xmlns:{prefix}="{uri}">Probe &amp; text</{prefix}:{local}>' if prefix
               else f"<{local}>Probe &amp; text</{local}>")
    fast, slow = both(_item_with(element), url=URL)
    assert fast == slow


def test_c1_controls_are_read_as_feedparser_reads_them() -> None:
    controls = "".join(map(chr, range(0x80, 0xA0)))
    fast, slow = both(rss(f"<item><title>a{controls}b</title><link>https://h.example/1</link>"
                          f"<description>{controls}</description></item>"), url=URL)
    assert fast == slow and isinstance(fast, ParsedFeed) and fast.items[0].title.startswith("a€")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["http:", "https:", "//", "///", "/", "../", "./", "a", "b.html", "?q=1", "#f", "%20",
                                 "[", "]", " ", "h.example", ":8080", "..", "mailto:", "urn:x", "javascript:", "@"]),
                min_size=1, max_size=8).map("".join))
def test_links_resolve_as_feedparser_resolves_them(link: str) -> None:
    fast, slow = both(rss(f"<item><title>t</title><link>{escape(link)}</link><guid>g{escape(link)}</guid></item>"),
                      url="https://h.example/dir/feed.xml")
    assert fast == slow


@pytest.mark.parametrize("date", ["2026/06/06 03h08", "Mon, 6 Jun 26 10:00:00 +0300", "20260606T100000Z",
                                  "Thu Jan 01 2004 19:48:21 GMT", "2004-07-08 23:56:58.0", "Вт, 06 июн 2026"])
def test_dates_only_feedparser_reads_are_read_as_feedparser_reads_them(date: str) -> None:
    content = rss(f"<item><title>t</title><link>https://h.example/1</link><pubDate>{date}</pubDate></item>")
    assert takes_fast_path(content, url=URL)
    fast, slow = both(content, url=URL)
    assert fast == slow
