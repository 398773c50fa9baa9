"""Links and GUIDs skip urllib where it would hand them back unchanged; each shortcut must give exactly what
the general path gives (urlsplit for canonical links, urljoin for resolved links, feedparser's fixes as
fast_values copies them; tests/test_parse_fast.py holds those copies equal to feedparser's parse())."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import feedparser
import pytest
from conftest import corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.parse.fast_values import _CP1252, fix, resolver, urljoin
from watcher.parse.identity import (
    _CANONICAL,
    _canonical,
    _joined,
    _split,
    _stays,
    _urlsplit,
    canonical_link,
    link_and_key,
    resolve_link,
)


def reference_canonical(url: str) -> str:
    url = url.strip()
    parts = _urlsplit(url)
    return url if parts is None else _canonical(url, parts)


def reference_resolve(link: str | None, base: str) -> str | None:
    return None if not link or not link.strip() else _joined(link, base)


def reference_fix(value: str) -> str:
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252)


_PIECES = st.sampled_from([
    "http", "https", "HTTP", "ftp", "urn", "tag", "javascript", "yt", "://", ":", "//", "/", "e.com", "E.COM", "amp.e.com",
    "x.cdn.ampproject.org", "127.0.0.1", "[::1]", "[broken", "пример.рф", "host.", "user:pw@", ":80", ":443", ":8080",
    ":0", ":0080", ":99999", "/a", "/amp/", "amp", ".amp", ".html", "/%7e", "/%d0%b0", "/а", ";p", "?", "?utm_source=rss",
    "&x=1", "?amp", "&from=feed", "#", "#!/x", "#top", " ", "\t", "\n", "\\", "@", "%", "-", ".", "..", "~", "'",
])

# URLs built part by part: every variant of each part beside every variant of each other part, the rest plain.
_PARTS: tuple[tuple[str, ...], ...] = (
    ("", " ", "\t"), ("https", "http", "HTTPS", "ftp", "urn", "yt", "mailto", ""), ("://", ":", ":///", "//", ":/", ""),
    ("", "user:pw@", "@"),
    ("e.com", "E.com", "amp.e.com", "amp.dev", "x.cdn.ampproject.org", "127.0.0.1", "[::1]", "[broken", "host.",
     "пример.рф", "a_b.com", "", "-", "video:eiRlCVtzlm4"),
    ("", ":80", ":443", ":8080", ":0", ":0080", ":0443", ":65535", ":65536", ":99999", ":", ":x"),
    ("/a/b", "", "/", "/amp/x", "/x/AMP", "/x.amp", "/x.amp.html", "/campaign", "/a;p", "/a;", "//x", "/%7e", "/%d0%b0",
     "/а", "/a b", "/a\\b", "/a'b"),
    ("", "?", "?a=1", "?utm_source=rss&x=1", "?amp", "?q=a%2Fb", "??"), ("", "#", "#!/x", "#top", "##"), ("", " ", "\n"),
)


def pairwise_urls() -> list[str]:
    urls = []
    for first, second in itertools.combinations(range(len(_PARTS)), 2):
        for a, b in itertools.product(_PARTS[first], _PARTS[second]):
            parts = [options[0] for options in _PARTS]
            parts[first], parts[second] = a, b
            urls.append("".join(parts))
    return urls


_URLS = st.lists(_PIECES, min_size=1, max_size=12).map("".join)
_BASES = st.sampled_from(["https://feeds.example/rss", "http://127.0.0.1:8000/f1.xml", "https://e.com/a/b/?x#y",
                          "http://[broken/feed", "feed.xml", "", "https://пример.рф/rss", "HTTPS://E.COM"])


@pytest.mark.parametrize("base", ["https://feeds.example/rss", "http://[broken/feed", "feed.xml"])
def test_url_shortcuts_equal_the_general_path_part_by_part(base: str) -> None:
    for url in pairwise_urls():
        assert_same_by_every_path(url, base)


@settings(max_examples=1500, deadline=None)
@given(_URLS, _BASES)
def test_url_shortcuts_equal_the_general_path(url: str, base: str) -> None:
    assert_same_by_every_path(url, base)


def assert_same_by_every_path(url: str, base: str) -> None:
    assert canonical_link(url) == reference_canonical(url)
    assert _split(url.strip()) == _urlsplit(url.strip())
    assert resolve_link(url, base) == reference_resolve(url, base)
    assert resolver(base)(url) == urljoin(base, url)
    resolved = reference_resolve(url, base)
    assert link_and_key(url, base) == (resolved, reference_canonical(resolved) if resolved else None)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("aé\x80\x99\u00c3\u00a9\u00e2\u0080\u0099Жx \u0153"), max_size=12))
def test_fix_equals_feedparser_text_fixes(value: str) -> None:
    assert fix(value) == reference_fix(value)


@pytest.mark.parametrize("url", ["https://e.com/news/1.html", "http://127.0.0.1:8000/f3/12.html",
                                 "https://www.example.am/eng/news/900/"])
def test_plain_links_take_the_shortcut(url: str) -> None:
    plain = _CANONICAL.match(url)
    assert plain is not None and _stays(*plain.groups())
    assert canonical_link(url) == reference_canonical(url) == url


def corpus_links(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    links = []
    for entry in parsed.entries:
        links += [entry.get("link") or "", str(entry.get("id") or "")]
        links += [link.get("href") or "" for link in entry.get("links") or []]
    return [link for link in links if link]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_links_same_by_every_path(path: Path) -> None:
    base = f"https://corpus.example/{path.name}"
    for link in corpus_links(path):
        assert canonical_link(link) == reference_canonical(link)
        assert resolve_link(link, base) == reference_resolve(link, base)
        assert resolver(base)(link) == urljoin(base, link)
