"""Precision on real news: the shipped watchlist over every item of the shared corpus.

Every match was read and is a true mention; it is listed in tests/data/match/corpus_matches.tsv.
A new match (a false one, or a true one the watchlist now reaches) fails until someone reads it
and adds its line; a lost one fails too (recall).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import DATA, REPO, corpus_files
from watcher.config.loader import load_watchlist
from watcher.errors import ParseError
from watcher.match import compile_matcher
from watcher.parse import parse_feed

REVIEWED = DATA / "match" / "corpus_matches.tsv"
WATCHLIST = REPO / "watchlist.yaml"


def corpus_matches(corpus: Path) -> Counter[tuple[str, str, str, str]]:
    matcher = compile_matcher(load_watchlist(WATCHLIST).entries)
    found: Counter[tuple[str, str, str, str]] = Counter()
    for path in corpus_files():
        try:
            feed = parse_feed(path.read_bytes(), url=f"http://corpus.test/{path.name}",
                              fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
        except ParseError:
            continue
        for item in feed.items:
            for m in matcher.match(item):
                assert (item.title if m.field == "title" else item.text)[m.start:m.end] == m.text
                found[(path.name, m.entry_id, m.field, m.text)] += 1
    return found


def reviewed() -> Counter[tuple[str, str, str, str]]:
    out: Counter[tuple[str, str, str, str]] = Counter()
    for line in REVIEWED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, entry, field, text, count = line.split("\t")
            out[(name, entry, field, text)] = int(count)
    return out


def test_shipped_watchlist_finds_only_reviewed_mentions(corpus_dir: Path) -> None:
    found = corpus_matches(corpus_dir)
    expected = reviewed()
    unexpected = found - expected
    missing = expected - found
    assert not unexpected, f"new matches to read (false, or add them to {REVIEWED.name}): {sorted(unexpected)}"
    assert not missing, f"mentions no longer found: {sorted(missing)}"
