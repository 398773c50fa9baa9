"""Random and mutated corpus documents through parse, match AND render: only ParseError ever comes out of
parsing, every match points at its text, and the digest holds no script, no javascript: link, one-line
headers. Plus ill-formed documents in the spirit of feedparser's tests/illformed."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import corpus_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutated_documents
from test_report_samples import DAILY, WATCHLIST

from watcher.errors import ParseError
from watcher.match import compile_matcher
from watcher.models import ParsedFeed, Period, StoredItem, StoredMatch
from watcher.parse import parse_feed
from watcher.report import build_digest, render_html, render_text
from watcher.report.message import compose_message

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
_SMALL = [p for p in corpus_files() if p.stat().st_size < 60_000]
MATCHER = compile_matcher(WATCHLIST.entries)
# Names of the sample watchlist in every script, so random documents do match now and then.
NAMES = ["Nikol Pashinyan", "Никол Пашинян", "Նիկոլ Փաշինյան", "Ilham Aliyev", "Алиев", "Karabakh", "Putin"]
HOSTILE_BITS = ["<script>alert(1)</script>", "javascript:alert(1)", "\r\nBcc: x@example.org", "&lt;script&gt;",
                "<![CDATA[<img src=x onerror=alert(1)>]]>", "\u202e", "\x00", "&#0;", "&amp;", "<a href='javascript:x'>"]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "img"}:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or re.match(r"\s*(javascript|data|vbscript):", value or "", re.IGNORECASE):
                self.bad.append(f"<{tag} {name}={value!r}>")


def assert_harmless(html: str) -> None:
    """No element that runs code and no attribute that does: hostile text may show, as text only."""
    elements = _Elements()
    elements.feed(html)
    assert elements.bad == []


def through_the_pipeline(parsed: ParsedFeed) -> None:
    """Match every item, build and render a digest of the matches, compose its mail; check what comes out."""
    stored: list[StoredMatch] = []
    for index, item in enumerate(parsed.items):
        for match in MATCHER.match(item):
            field = item.title if match.field == "title" else item.text
            assert field[match.start:match.end] == match.text
            stored.append(StoredMatch(len(stored) + 1, StoredItem(index + 1, "fuzz", item, NOW), match, NOW))
    digest = build_digest(DAILY, WATCHLIST, stored, [], PERIOD, now=NOW)
    html, text = render_html(digest), render_text(digest)
    assert_harmless(html)
    raw = compose_message(digest, sender="watcher@example.org", recipient="analyst@example.org", text=text, html=html)
    headers = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None and len(message.get_all("Subject") or []) == 1
    assert not re.search(rb"^(bcc|cc|to|from):.*x@example\.org", headers, re.IGNORECASE | re.MULTILINE)


def parse(content: bytes) -> ParsedFeed | None:
    try:
        return parse_feed(content, url="https://fuzz.example/feed", fetched_at=NOW, timezone="Asia/Yerevan")
    except ParseError:
        return None


def mutated_corpus_document() -> st.SearchStrategy[bytes]:
    """A small corpus document with bytes flipped, cut or inserted, names and hostile text spliced in."""
    return mutated_documents(_SMALL, splices=NAMES + HOSTILE_BITS, max_steps=5)


@pytest.mark.skipif(not _SMALL, reason="../shared/corpus/feeds is not beside the repository")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_corpus_document())
def test_mutated_corpus_documents_through_parse_match_and_render(content: bytes) -> None:
    parsed = parse(content)
    if parsed is not None:
        through_the_pipeline(parsed)


@pytest.mark.parametrize("path", _SMALL[:12], ids=lambda p: p.name)
def test_corpus_documents_through_parse_match_and_render(path: Path) -> None:
    parsed = parse(path.read_bytes())
    if parsed is not None:
        through_the_pipeline(parsed)


_TEXT = st.lists(st.sampled_from(NAMES + HOSTILE_BITS) | st.text(max_size=20), max_size=8).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, body=_TEXT, link=st.sampled_from(["http://x.am/1", "javascript:alert(1)", " ", "data:x", "//x"]))
def test_random_items_through_parse_match_and_render(title: str, body: str, link: str) -> None:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;")

    doc = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title><item>'
           f"<title>{escape(title)}</title><link>{escape(link)}</link><description>{escape(body)}</description>"
           "</item></channel></rss>").encode("utf-8", "surrogatepass")
    parsed = parse(doc)
    assert parsed is not None
    through_the_pipeline(parsed)


ILLFORMED = {
    # name: (document, the title the single item must have)
    "undefined html entity": ("<rss version='2.0'><channel><item><title>Aliyev&nbsp;speaks</title></item></channel></rss>",
                              "Aliyev speaks"),
    "bare ampersand": ("<rss version='2.0'><channel><item><title>Aliyev & Pashinyan</title>"
                       "<link>http://x.am/?a=1&b=2</link></item></channel></rss>", "Aliyev & Pashinyan"),
    "mismatched end tag": ("<rss version='2.0'><channel><item><title>Talks resume</description>"
                           "<link>http://x.am/1</link></item></channel></rss>", None),
    "unclosed cdata": ("<rss version='2.0'><channel><item><title><![CDATA[Talks resume</title></item></channel></rss>",
                       None),
    "declared latin-1 but utf-8": ("<?xml version='1.0' encoding='iso-8859-1'?><rss version='2.0'><channel><item>"
                                   "<title>Пашинян</title></item></channel></rss>", "Пашинян"),
    "no channel": ("<rss version='2.0'><item><title>Orphan item</title></item></rss>", "Orphan item"),
    "atom with raw html title": ("<feed xmlns='http://www.w3.org/2005/Atom'><entry><title type='html'>"
                                 "A <b>bold</b> move</title><link href='http://x.am/2'/></entry></feed>", None),
    "unescaped less-than": ("<rss version='2.0'><channel><item><title>1 < 2 for Aliyev</title></item></channel></rss>",
                            None),
    "junk after root": ("<rss version='2.0'><channel><item><title>Fine</title></item></channel></rss><junk>",
                        "Fine"),
    "control characters": ("<rss version='2.0'><channel><item><title>Bell\x07 and\x0b tab</title></item>"
                           "</channel></rss>", None),
}


@pytest.mark.parametrize("name", ILLFORMED)
def test_feedparser_style_illformed_documents(name: str) -> None:
    document, title = ILLFORMED[name]
    content = document.encode("utf-8")
    parsed = parse(content)
    if title is None:  # salvaged or refused, but never a crash, and nothing half-parsed reaches the digest
        if parsed is not None:
            through_the_pipeline(parsed)
        return
    assert parsed is not None, name
    assert [item.title for item in parsed.items] == [title], parsed
    through_the_pipeline(parsed)
