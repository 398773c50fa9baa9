"""parse_feed over the real-feed corpus (skipped when ../shared is absent), and fuzzed with hypothesis."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import corpus_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutated_documents

from watcher.errors import ParseError
from watcher.models import ParsedFeed
from watcher.parse import canonical_link, html_to_text, parse_feed
from watcher.parse.text import title_text

FETCHED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Files whose item count is lower than the MANIFEST's because items share a key (the first one is kept).
SHARED_KEYS = {
    "ffp__almonitor.rss.xml": 11,  # 9 items repeat another item's link
    "nodefp__pcmag_dvorak_illegally_nested.rss.xml": 11,  # 10 nested items with no link, title or text: one hash
}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def manifest_counts(corpus: Path) -> dict[str, int]:
    """The `items` column of MANIFEST.md, by file name."""
    counts = {}
    for line in (corpus / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 12 and cells[1] and (corpus / cells[1]).is_file() and cells[10].isdigit():
            counts[cells[1]] = int(cells[10])
    return counts


def check_invariants(parsed: ParsedFeed) -> None:
    """What every ParsedFeed promises the later stages, whatever the input."""
    keys = [item.key for item in parsed.items]
    assert len(keys) == len(set(keys))
    for item in parsed.items:
        assert item.key
        assert item.published.tzinfo is not None and item.published.utcoffset() == timedelta(0)
        assert item.published <= FETCHED + timedelta(minutes=5)
        assert not _CONTROL.search(item.title) and len(item.title) <= 1000
        assert len(item.text) <= 100_000
        assert item.link is None or item.link.startswith(("http://", "https://"))
    for problem in parsed.problems:
        assert problem and "\n" not in problem


def parse_path(path: Path) -> ParsedFeed:
    return parse_feed(path.read_bytes(), url=f"https://corpus.example/{path.name}", fetched_at=FETCHED)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file(path: Path) -> None:
    counts = manifest_counts(path.parent)
    parsed = parse_path(path)
    check_invariants(parsed)
    expected = SHARED_KEYS.get(path.name, counts[path.name])
    assert len(parsed.items) == expected
    if "ILLFORMED" in path.name:
        assert parsed.problems
    else:
        assert all(item.title for item in parsed.items if item.link)


def test_corpus_manifest_lists_every_file(corpus_dir: Path) -> None:
    assert set(manifest_counts(corpus_dir)) == {p.name for p in corpus_files()}


def test_corpus_encodings_decode_to_the_right_script(corpus_dir: Path) -> None:
    for name in ("nodefp__oren_ru_windows-1251.rss.xml", "nodefp__oren_ru_windows-1251.rss.xml.gz",
                 "miniflux__ibash_org_ru_windows-1251.rss.xml", "tehte__pravda_com_ua_windows-1251.rss.xml"):
        titles = " ".join(item.title for item in parse_path(corpus_dir / name).items)
        assert len(re.findall("[А-яЁё]", titles)) > len(titles) / 3, name
    for name in ("rssparser__ILLFORMED_uol_noticias_latin1_nodecl.rss.xml",
                 "miniflux__ILLFORMED_lecerclepsy_latin1_nodecl.rss.xml", "miniflux__golem_de_iso-8859-1.rss.xml"):
        text = " ".join(item.title + item.text for item in parse_path(corpus_dir / name).items)
        assert re.search("[àâçéèêíóôõúüäöß]", text) and "\ufffd" not in text and "Ã" not in text, name


def test_corpus_zone_less_dates_use_the_source_zone(corpus_dir: Path) -> None:
    raw = (corpus_dir / "dhvcc__investing_ru_forex_news.rss.xml").read_bytes()  # "2022-12-30 16:22:13"
    moscow = parse_feed(raw, url="https://ru.investing.com/rss", fetched_at=FETCHED, timezone="Europe/Moscow")
    utc = parse_feed(raw, url="https://ru.investing.com/rss", fetched_at=FETCHED)
    assert [u.published - m.published for u, m in zip(utc.items, moscow.items, strict=True)] == [timedelta(hours=3)] * 10


_SMALL = [p for p in corpus_files() if p.stat().st_size < 30_000]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_raise_only_parse_error(content: bytes) -> None:
    try:
        parsed = parse_feed(content, url="https://fuzz.example/feed", fetched_at=FETCHED)
    except ParseError:
        return
    check_invariants(parsed)


def mutated_corpus_document() -> st.SearchStrategy[bytes]:
    """A small corpus document with a few bytes flipped, deleted, inserted or the tail cut off."""
    return mutated_documents(_SMALL, max_steps=4)


@pytest.mark.skipif(not _SMALL, reason="../shared/corpus/feeds is not beside the repository")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_corpus_document())
def test_mutated_corpus_documents_raise_only_parse_error(content: bytes) -> None:
    try:
        parsed = parse_feed(content, url="https://fuzz.example/feed", fetched_at=FETCHED)
    except ParseError:
        return
    check_invariants(parsed)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
       | st.lists(st.sampled_from(["<p>", "</p>", "<script>", "</script>", "&amp;", "&lt;b&gt;", "&#", "<!--",
                                   "<![CDATA[", "\r\n", "\u2028", "\x00", "Bcc: x", "<br/>", "&nbsp;", "<a href='"]))
       .map("".join))
def test_text_helpers_accept_any_text(raw: str) -> None:
    text = html_to_text(raw)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text) and "\r" not in text
    title = title_text(raw)
    assert not _CONTROL.search(title) and len(title) <= 1000
    assert isinstance(canonical_link(raw), str)
