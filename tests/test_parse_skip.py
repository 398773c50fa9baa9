"""parse_feed(skip=...): items whose key is known are left out and counted; every other item, and every
key, is exactly what the full parse gives."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, corpus_files
from test_parse_golden import CASES, FETCHED_AT, GOLDEN

from watcher.errors import ParseError
from watcher.models import ParsedFeed
from watcher.parse import parse_feed

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from bench.parse_speed import generated_feed

FETCHED = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
URL = "https://skip.example/rss"


def rss(items: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def assert_skips(content: bytes, *, url: str, skip: frozenset[str], fast_path: bool = True,
                 headers: tuple[tuple[str, str], ...] = (), zone: str = "UTC", fetched_at: datetime = FETCHED) -> ParsedFeed:
    """The parse with ``skip`` is the full parse without the skipped items, and counts them."""
    full = parse_feed(content, url=url, headers=headers, fetched_at=fetched_at, timezone=zone, fast_path=fast_path)
    partial = parse_feed(content, url=url, headers=headers, fetched_at=fetched_at, timezone=zone, fast_path=fast_path,
                         skip=skip)
    assert partial.items == tuple(item for item in full.items if item.key not in skip)
    assert partial.skipped == sum(item.key in skip for item in full.items)
    assert (partial.title, partial.link, partial.problems) == (full.title, full.link, full.problems)
    assert full.skipped == 0
    return partial


def every_other_key(content: bytes, *, url: str, **kwargs: object) -> frozenset[str]:
    full = parse_feed(content, url=url, fetched_at=FETCHED, **kwargs)  # type: ignore[arg-type]
    return frozenset(item.key for item in full.items[::2])


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_skipping_every_other_item(path: Path, fast_path: bool) -> None:
    url = f"https://corpus.example/{path.name}"
    content = path.read_bytes()
    try:
        skip = every_other_key(content, url=url, fast_path=fast_path)
    except ParseError:
        return  # a document with no feed raises with or without skip
    partial = assert_skips(content, url=url, skip=skip, fast_path=fast_path)
    assert partial.skipped == len(skip)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_feed_skipping_every_other_item(name: str) -> None:
    url, headers, zone = CASES[name]
    content = (GOLDEN / name).read_bytes()
    full = parse_feed(content, url=url, headers=headers, fetched_at=FETCHED_AT, timezone=zone)
    skip = frozenset(item.key for item in full.items[1::2]) | {"https://not.in.this.feed/"}
    assert_skips(content, url=url, skip=skip, headers=headers, zone=zone, fetched_at=FETCHED_AT)


@pytest.mark.parametrize("index", range(6))
def test_generated_feed_with_five_new_items(index: int) -> None:
    old, url, headers = generated_feed(index, 0, 49)
    grown, _, _ = generated_feed(index, 0, 54)
    known = frozenset(item.key for item in parse_feed(old, url=url, headers=headers, fetched_at=FETCHED).items)
    partial = assert_skips(grown, url=url, headers=headers, skip=known)
    assert (len(partial.items), partial.skipped) == (5, 50)
    assert [item.link for item in partial.items] == [f"http://127.0.0.1:8000/f{index}/{j}.html" for j in range(54, 49, -1)]


def test_a_link_repeated_within_a_document_is_skipped_once() -> None:
    content = rss("<item><title>First</title><link>https://skip.example/1</link></item>"
                  "<item><title>Again</title><link>https://skip.example/1?utm_source=rss</link></item>"
                  "<item><title>Other</title><link>https://skip.example/2</link></item>")
    full = parse_feed(content, url=URL, fetched_at=FETCHED)
    assert [item.title for item in full.items] == ["First", "Other"]
    partial = assert_skips(content, url=URL, skip=frozenset({"https://skip.example/1"}))
    assert ([item.title for item in partial.items], partial.skipped) == (["Other"], 1)


@pytest.mark.parametrize("fast_path", [True, False])
def test_items_keyed_by_content_are_skipped_by_that_key(fast_path: bool) -> None:
    content = rss("<item><title>No link</title><description>one</description></item>"
                  "<item><title>No link</title><description>two</description></item>"
                  "<item><title>Shared guid</title><guid>https://skip.example/same</guid></item>"
                  "<item><title>Shared guid</title><guid>https://skip.example/same</guid><description>b</description></item>"
                  "<item><title>By guid</title><guid isPermaLink=\"false\">g-1</guid></item>")
    full = parse_feed(content, url=URL, fetched_at=FETCHED, fast_path=fast_path)
    assert [item.key.split(":")[0] for item in full.items] == ["hash", "hash", "hash", "hash", "guid"]
    for kept in range(len(full.items)):
        skip = frozenset(item.key for index, item in enumerate(full.items) if index != kept)
        partial = assert_skips(content, url=URL, skip=skip, fast_path=fast_path)
        assert partial.items == (full.items[kept],) and partial.skipped == 4


def test_skipping_everything_leaves_the_feed_and_no_items() -> None:
    content = rss("<item><title>A</title><link>https://skip.example/a</link></item>")
    partial = assert_skips(content, url=URL, skip=frozenset({"https://skip.example/a"}))
    assert (partial.title, partial.items, partial.skipped) == ("T", (), 1)
