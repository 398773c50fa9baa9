"""Tables for the pure helpers of the parse stage: canonical links, dates, HTML to text, decoding."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from watcher.errors import ConfigError, ParseError
from watcher.parse import canonical_link, html_to_text
from watcher.parse.dates import load_timezone, parse_date
from watcher.parse.encoding import decode_document, gunzip
from watcher.parse.text import one_line, title_text

FETCHED = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://Example.COM:443/a?b=2&a=1#top", "https://example.com/a?a=1&b=2"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("https://e.com/n?utm_source=rss&utm_campaign=x&id=5", "https://e.com/n?id=5"),
    ("https://e.com/n?fbclid=1&gclid=2&yclid=3&mc_cid=4&mc_eid=5&ref=tw&ref_src=s&id=5", "https://e.com/n?id=5"),
    ("https://e.com/n?from=rss&page=2", "https://e.com/n?page=2"),
    ("https://e.com/search?from=2026-01-01", "https://e.com/search?from=2026-01-01"),
    ("https://e.com/news/amp/123", "https://e.com/news/123"),
    ("https://e.com/amp/news/123", "https://e.com/news/123"),
    ("https://e.com/news/123/amp/", "https://e.com/news/123/"),
    ("https://e.com/news/123?amp", "https://e.com/news/123"),
    ("https://e.com/news/123?amp=1&x=y", "https://e.com/news/123?x=y"),
    ("https://amp.e.com/news/123", "https://e.com/news/123"),
    ("https://amp.dev/", "https://amp.dev/"),
    ("https://e.com/news/123.amp", "https://e.com/news/123"),
    ("https://e.com/news/123.amp.html", "https://e.com/news/123.html"),
    ("https://e.com/news/123?outputType=amp", "https://e.com/news/123"),
    ("https://e.com/export?outputType=xml", "https://e.com/export?outputType=xml"),
    ("https://www-e-com.cdn.ampproject.org/c/s/www.e.com/news/1?usqp=mq331AQ", "https://www.e.com/news/1"),
    ("https://e.com/%7euser/%d0%b0", "https://e.com/~user/%D0%B0"),
    ("https://e.com/а", "https://e.com/%D0%B0"),
    ("https://пример.рф/x", "https://xn--e1afmkfd.xn--p1ai/x"),
    ("https://E.com./x", "https://e.com/x"),
    ("https://e.com/#!/story/9", "https://e.com/#!/story/9"),
    ("https://e.com/p?123", "https://e.com/p?123"),
    ("https://e.com/p?q=a%2Fb", "https://e.com/p?q=a%2Fb"),
    ("http://[::1]:8000/x", "http://[::1]:8000/x"),
    ("https://user:secret@e.com/x", "https://e.com/x"),
    ("  https://e.com/x  ", "https://e.com/x"),
    ("http://[broken", "http://[broken"),
])
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


def test_canonical_link_is_idempotent_and_source_independent() -> None:
    variants = [
        "https://news.example.am/eng/news/900/?utm_source=rss",
        "https://NEWS.example.am:443/eng/news/900/?fbclid=IwAR0#comments",
        "https://amp.news.example.am/eng/news/900/amp/",
    ]
    keys = {canonical_link(v) for v in variants}
    assert keys == {"https://news.example.am/eng/news/900/"}
    assert canonical_link(keys.pop()) == "https://news.example.am/eng/news/900/"


@pytest.mark.parametrize(("raw", "zone", "expected"), [
    ("Tue, 02 Jun 2026 09:15:00 +0400", "UTC", "2026-06-02T05:15:00+00:00"),
    ("Tue, 02 Jun 2026 09:15:00 GMT", "Asia/Yerevan", "2026-06-02T09:15:00+00:00"),
    ("Tue, 17 Feb 2026 18:03:07 EST", "UTC", "2026-02-17T23:03:07+00:00"),
    ("Tue, 17 Feb 2026 18:03:07 MSK", "UTC", "2026-02-17T15:03:07+00:00"),
    ("2026-02-17T17:36:36-0500", "UTC", "2026-02-17T22:36:36+00:00"),
    ("2026-02-17T17:36:36-05:00", "UTC", "2026-02-17T22:36:36+00:00"),
    ("2026-06-02T05:00:00Z", "Asia/Yerevan", "2026-06-02T05:00:00+00:00"),
    ("2026-06-02T05:00:00.250+02:00", "UTC", "2026-06-02T03:00:00+00:00"),
    # zone-less: wall-clock time of the source
    ("2026-06-06 03:08:29", "Asia/Yerevan", "2026-06-05T23:08:29+00:00"),
    ("2026-06-06 03:08:29", "UTC", "2026-06-06T03:08:29+00:00"),
    ("2026-06-06T03:08", "Europe/Moscow", "2026-06-06T00:08:00+00:00"),
    ("06.06.2026 03:08", "Asia/Baku", "2026-06-05T23:08:00+00:00"),
    ("Sat, Dec 16 2023 02:02:33 PM", "America/New_York", "2023-12-16T19:02:33+00:00"),
    ("Sat, 06 Jun 2026 03:08:29", "Asia/Yerevan", "2026-06-05T23:08:29+00:00"),
    ("Вт, 02 июн 2026 14:00:00 +0300", "UTC", "2026-06-02T11:00:00+00:00"),
    ("Seg, 24 Set 2018 19:42:40 -0300", "UTC", "2018-09-24T22:42:40+00:00"),
    ("Sat, 06 Jun 2026 03:08:29 GMT+4", "UTC", "2026-06-05T23:08:29+00:00"),
    # unreadable, impossible or missing: the fetch time
    ("garbage", "UTC", "2026-06-10T12:00:00+00:00"),
    ("Mon, 30 Feb 2026 10:00:00 +0000", "UTC", "2026-06-10T12:00:00+00:00"),
    ("", "UTC", "2026-06-10T12:00:00+00:00"),
    # future beyond the tolerance: clamped; within it: kept
    ("Fri, 31 Dec 9999 23:59:59 +0000", "UTC", "2026-06-10T12:00:00+00:00"),
    ("2026-06-10 18:00:00", "UTC", "2026-06-10T12:00:00+00:00"),
    ("2026-06-10T12:03:00Z", "UTC", "2026-06-10T12:03:00+00:00"),
])
def test_parse_date(raw: str, zone: str, expected: str) -> None:
    moment = parse_date(raw, fetched_at=FETCHED, local=load_timezone(zone))
    assert moment.isoformat() == expected


def test_zone_less_date_read_by_feedparser_is_moved_to_the_source_zone() -> None:
    # A format only feedparser reads (here: a struct handed over) and no zone: wall clock in the source's zone.
    parsed = datetime(2026, 6, 6, 3, 8, 29).timetuple()
    moment = parse_date("2026/06/06 03h08", fetched_at=FETCHED, local=load_timezone("Asia/Yerevan"), parsed=parsed)
    assert moment.isoformat() == "2026-06-05T23:08:29+00:00"


def test_unknown_timezone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_timezone("Mars/Olympus")


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>One</p><p>Two</p>", "One\nTwo"),
    ("a<br>b<br/>c", "a\nb\nc"),
    ("Tom &amp; Jerry &mdash; &#1329;&#x0531;", "Tom & Jerry — ԱԱ"),
    ("x<script>alert('s')</script>y<style>p{color:red}</style>z", "xyz"),
    ("<noscript>enable JS</noscript>kept", "kept"),
    ('<a href="javascript:evil()">click</a>', "click"),
    ("Pre&amp;nbsp;text&amp;mdash;more", "Pre text—more"),
    ("&lt;p&gt;Escaped&amp;nbsp;twice&lt;/p&gt;&lt;p&gt;B&lt;/p&gt;", "Escaped twice\nB"),
    ("  lots   of \t space \n\n\n here  ", "lots of space\nhere"),
    ("soft\u00adhyphen zero\u200bwidth bidi\u202eoverride", "softhyphen zerowidth bidioverride"),
    ("unclosed <b>bold", "unclosed bold"),
    ("a < b and c > d", "a < b and c > d"),
    ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", "a\nb"),
    ("", ""),
    ("Ստեփանակերտ&nbsp;և Բաքու", "Ստեփանակերտ և Բաքու"),
])
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_to_text_is_bounded() -> None:
    assert len(html_to_text("<p>word</p> " * 200_000)) <= 100_000


@pytest.mark.parametrize(("raw", "expected"), [
    ("Hello\r\nBcc: evil@example.com", "Hello Bcc: evil@example.com"),
    ("line\u2028separator\x85next\x0bvt", "line separator next vt"),
    ("<b>Bold</b> &amp; co", "Bold & co"),
    ("Double&amp;nbsp;escaped", "Double escaped"),
    ("nul\x00byte", "nulbyte"),
])
def test_title_text_is_one_line(raw: str, expected: str) -> None:
    assert title_text(raw) == expected


def test_one_line_bounds_length() -> None:
    title = one_line("x" * 5000)
    assert len(title) == 1000 and title.endswith("…")


@pytest.mark.parametrize(("content", "charset", "text", "encoding"), [
    ("Ереван".encode("cp1251"), None, "Ереван", "windows-1251"),
    ("Ереван".encode("cp1251"), "utf-8", "Ереван", "windows-1251"),
    ("Notícias São Paulo".encode("latin-1"), "utf-8", "Notícias São Paulo", "windows-1252"),
    ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”", "windows-1252"),
    ("Երևան".encode(), "iso-8859-1", "Երևան", "utf-8"),
    ('<?xml version="1.0" encoding="windows-1251"?>Баку'.encode("cp1251"), None,
     '<?xml version="1.0" encoding="windows-1251"?>Баку', "windows-1251"),
    ("Баку".encode("koi8-r"), "koi8-r", "Баку", "koi8-r"),
    (b"\xef\xbb\xbfBOM", "windows-1251", "BOM", "utf-8"),
    ("<rss/>".encode("utf-16-be"), "utf-16be", "<rss/>", "utf-16-be"),
    (b"\xff\xfe" + "<rss/>".encode("utf-16-le"), None, "<rss/>", "utf-16-le"),
    (b"plain ascii", "no-such-charset", "plain ascii", "utf-8"),
])
def test_decode_document(content: bytes, charset: str | None, text: str, encoding: str) -> None:
    decoded = decode_document(content, http_charset=charset)
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_one_bad_byte_does_not_cost_the_document() -> None:
    content = ("Երևան Ստեփանակերտ Գյումրի " * 20).encode("utf-8") + b"\xff" + "Վանաձոր".encode()
    decoded = decode_document(content, http_charset="utf-8")
    assert decoded.encoding == "utf-8" and decoded.text.endswith("\ufffdՎանաձոր")
    assert decoded.problem and "invalid UTF-8" in decoded.problem


def test_gunzip_is_bounded() -> None:
    bomb = gzip.compress(b"\0" * 2_000_000)
    assert gunzip(bomb, limit=3_000_000) == b"\0" * 2_000_000
    with pytest.raises(ParseError, match="expands beyond"):
        gunzip(bomb, limit=1_000_000)
    with pytest.raises(ParseError, match="corrupt"):
        gunzip(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ParseError, match="corrupt"):
        gunzip(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage")
    truncated = gzip.compress(b"<rss>" + b"x" * 100_000)[:2000]
    assert gunzip(truncated).startswith(b"<rss>xxx")
