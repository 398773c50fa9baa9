"""html_to_text, normalise_text and one_line take shortcuts; each must give exactly what the plain
algorithm gives (kept here as the reference: the HTML5 parser for all markup, every regex pass every time)."""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from pathlib import Path

import feedparser
import pytest
from conftest import corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.parse.charrefs import fix_references
from watcher.parse.text import (
    _INVISIBLE,
    _LEFTOVER_ENTITY,
    _LEFTOVER_TAG,
    MAX_HTML_INPUT,
    _split_simple,
    _strip_tags,
    html_to_text,
    normalise_text,
    one_line,
    title_text,
)

_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def reference_normalise(text: str, *, limit: int = 100_000) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HSPACE.sub(" ", _INVISIBLE.sub("", _HSPACE.sub(" ", text)))
    text = _NEWLINES.sub("\n", text).strip()
    return text[:limit].rstrip()


def reference_html_to_text(html_text: str) -> str:
    if "<" not in html_text and "&" not in html_text:
        return reference_normalise(html_text[:MAX_HTML_INPUT])
    text = _strip_tags(html_text)
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(fix_references(text))
    if _LEFTOVER_TAG.search(text):
        text = _strip_tags(text)
    return reference_normalise(text)


def reference_one_line(text: str, *, limit: int = 1_000) -> str:
    words = (_INVISIBLE.sub("", word) for word in text[: limit * 4].split())
    text = " ".join(word for word in words if word)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def reference_title(raw: str) -> str:
    raw = raw[:20_000]
    if "<" in raw or "&" in raw:
        raw = reference_html_to_text(raw)
    return reference_one_line(raw)


def corpus_markup(path: Path) -> list[str]:
    """Every summary, content and title of a corpus file as feedparser reads it, unsanitised."""
    parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    values = []
    for entry in parsed.entries:
        values += [entry.get("summary") or "", entry.get("title") or ""]
        values += [content.get("value") or "" for content in entry.get("content") or []]
    return [value for value in values if value]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_text_is_what_the_html_parser_gives(path: Path) -> None:
    for markup in corpus_markup(path):
        assert html_to_text(markup) == reference_html_to_text(markup)
        assert title_text(markup) == reference_title(markup)


def test_the_corpus_mostly_takes_the_shortcut(corpus_dir: Path) -> None:
    markup = [value for path in corpus_files() for value in corpus_markup(path) if "<" in value]
    simple = [value for value in markup if _split_simple(value) is not None]
    assert len(markup) > 500
    assert len(simple) > len(markup) // 2


@pytest.mark.parametrize(("markup", "expected"), [
    ("<p>Hello <b>world</b></p>", "\nHello world\n"),
    ("<P CLASS='x'>a &amp; b<br/>c</P>", "\na & b\nc\n"),
    ('<a href="https://e.com/?a=1&amp;b=2" title="t">link</a> &lt;p&gt;', "link <p>"),
    ("<img src='x.jpg' alt=\"it's\"/>text", "text"),
    ("<h1\n  id=\"top\">T</h1 >", "\nT\n"),
])
def test_simple_markup_is_split_without_the_html_parser(markup: str, expected: str) -> None:
    assert _split_simple(markup) == expected == _strip_tags(markup)


@pytest.mark.parametrize("markup", [
    "<script>a < b</script>", "<p>a <!-- c --> b</p>", "a < b", "<a href=x>y</a>", "<style>p{}</style>",
    "<p>" + "x" * 70_000 + "</p>", "<p/ >", "<a b='<'>", "<ns:tag>x</ns:tag>", "<p\x0bclass='x'>",
])
def test_other_markup_goes_to_the_html_parser(markup: str) -> None:
    assert _split_simple(markup) is None
    assert html_to_text(markup) == reference_html_to_text(markup)


_TOKENS = st.sampled_from([
    "<p>", "</p>", "<br>", "<br/>", "<br />", "<b>", "</b>", "<div class=\"x\">", "</div>", "<a href='/x?a=1&amp;b'>",
    "</a>", "<script>", "</script>", "<style>", "</style>", "<!-- c -->", "<h2 id=\"t\" >", "</h2>", "<li>", "<img src=x>",
    "&amp;", "&nbsp;", "&lt;p&gt;", "&amp;lt;b&amp;gt;", "&#8217;", "&#x41;", "&am", "&", "<", ">", " ", "  ", "\n",
    "\r\n", "\t", "\xa0", "\u00ad", "\u200b", "\u2028", "\x85", "\x0b", "word", "Пашинян", "«Кольцо»", "é",
    # Tags the HTML5 tree builder treats specially: the shortcut must leave them to the parser.
    "<table>", "<tr>", "<td>", "</td>", "</table>", "<embed src=x>", "<iframe>", "</iframe>", "<object>", "</object>",
    "<select>", "<title>", "<textarea>", "<xmp>", "<pre>", "<center>", "</center>", "<dd>", "<span title='a'>", "</span>",
    "<!DOCTYPE html>", "&#55357;", "&#56832;", "&#0;", "\x00", "<P>", "</LI>", "<noembed>",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS | st.text(max_size=6), max_size=40).map("".join))
def test_html_to_text_equals_the_reference(markup: str) -> None:
    assert html_to_text(markup) == reference_html_to_text(markup)
    assert one_line(markup) == reference_one_line(markup)
    assert normalise_text(markup) == reference_normalise(markup)
    assert normalise_text(markup, limit=7) == reference_normalise(markup, limit=7)


def test_whitespace_and_invisible_characters_are_unprintable() -> None:
    """normalise_text's shortcut takes printable lines without double spaces to need no substitution."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if (char.isspace() and char != " ") or _INVISIBLE.match(char):
            assert not char.isprintable(), (hex(code), unicodedata.category(char))
