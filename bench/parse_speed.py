"""Parse time per 50-item feed: the poll benchmark's generated feeds, skipping known items, and the corpus.

Run from the repository root: `python bench/parse_speed.py [rounds]`. Times are CPU time (the machine is
shared), each the median of ``rounds`` rounds over the same documents.

- generated: feeds as bench/polling/server.py serves them (RSS 2.0, Atom, RSS 1.0; English and Russian,
  some windows-1251), 50 items each, parsed whole, with the lxml fast path and without it (feedparser);
- skip: the same feeds with 5 new items on top (55 items), the 50 known keys passed as ``skip``;
- corpus (when ../shared is beside the repository): every real feed file, the lxml fast path beside
  feedparser, normalised to 50 items.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polling.news import feed_spec, head_and_tail, render_item
from bench.polling.watchlists import MENTIONED, actors, mentionable
from watcher.errors import ParseError
from watcher.parse import parse_feed
from watcher.parse.encoding import decode_document, gunzip
from watcher.parse.fast import fast_parse
from watcher.parse.sniff import root_element, without_doctype

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
FETCHED_AT = datetime(2026, 6, 1, tzinfo=UTC)
_TYPES = {"rss2": "application/rss+xml", "atom": "application/atom+xml", "rss1": "application/rdf+xml"}

Document = tuple[bytes, str, tuple[tuple[str, str], ...]]


def generated_feed(index: int, first: int, last: int) -> Document:
    """Feed ``index`` holding items first..last, as the poll benchmark's server sends it, with its URL and headers."""
    spec = feed_spec(index)
    base = "http://127.0.0.1:8000"
    pool = mentionable(actors(MENTIONED))
    items = b"".join(render_item(spec, j, base, 8, pool) for j in range(last, first - 1, -1))
    head, tail = head_and_tail(spec, base, last, first, last)
    headers = (("content-type", f"{_TYPES[spec.kind]}; charset={spec.encoding}"),)
    return head + items + tail, f"{base}/f{index}.xml", headers


def cpu_per_call(call: Callable[[], object], calls: int, rounds: int) -> float:
    """Median over ``rounds`` of the CPU seconds of one call (``call`` makes ``calls`` of them)."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        call()
        samples.append((time.process_time() - start) / calls)
    return statistics.median(samples)


def parse_all(documents: Sequence[Document], skips: Sequence[frozenset[str]] = (), *, fast: bool = True) -> None:
    """Parse every document, each with its keys to skip when given."""
    for index, (content, url, headers) in enumerate(documents):
        parse_feed(content, url=url, headers=headers, fetched_at=FETCHED_AT, fast_path=fast,
                   skip=skips[index] if skips else frozenset())


def generated(rounds: int, feeds: int = 30) -> None:
    """Whole 50-item feeds, per format, then 55-item feeds whose 50 older items are known."""
    documents = {index: generated_feed(index, 0, 49) for index in range(feeds)}
    for kind in ("rss2", "atom", "rss1", None):
        chosen = [doc for index, doc in documents.items() if kind in (None, feed_spec(index).kind)]
        seconds = cpu_per_call(partial(parse_all, chosen), len(chosen), rounds)
        plain = cpu_per_call(partial(parse_all, chosen, fast=False), len(chosen), rounds)
        print(f"generated 50-item feed {kind or 'all':5}: {seconds * 1000:6.2f} ms CPU"
              f"  (without the fast path {plain * 1000:6.2f} ms)")
    grown = [generated_feed(index, 0, 54) for index in range(feeds)]
    known = [frozenset(item.key for item in parse_feed(c, url=u, headers=h, fetched_at=FETCHED_AT).items)
             for c, u, h in documents.values()]
    whole = cpu_per_call(partial(parse_all, grown), feeds, rounds)
    skipping = cpu_per_call(partial(parse_all, grown, known), feeds, rounds)
    print(f"generated 55-item feed, whole: {whole * 1000:6.2f} ms CPU; 50 known keys skipped: {skipping * 1000:6.2f} ms CPU")


def _takes_fast_path(content: bytes, url: str) -> bool:
    if content[:2] == b"\x1f\x8b":
        content = gunzip(content)
    text = decode_document(content).text.lstrip()
    start, _ = root_element(text)
    return fast_parse(without_doctype(text, start), url=url, language=None) is not None


def _count(content: bytes, url: str, fast: bool) -> int:
    try:
        return len(parse_feed(content, url=url, fetched_at=FETCHED_AT, fast_path=fast).items)
    except ParseError:
        return 0


def corpus(rounds: int) -> None:
    """Per-file times of both paths and the median/corpus-wide CPU cost of 50 items."""
    per_50: dict[bool, list[float]] = {True: [], False: []}
    totals = {True: 0.0, False: 0.0}
    items = 0
    fast_files = 0
    for path in sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.md"):
        content, url = path.read_bytes(), f"https://bench.example/{path.name}"
        row = []
        count = 0
        for fast in (False, True):
            count = _count(content, url, fast)
            cpu = cpu_per_call(lambda: _count(content, url, fast), 1, rounds)  # noqa: B023 (called at once)
            totals[fast] += cpu
            if count:
                per_50[fast].append(cpu / count * 50)
            row.append(f"{cpu * 1000:7.1f}")
        items += count
        taken = _takes_fast_path(content, url)
        fast_files += taken
        print(f"{path.name[:52]:52} {count:4d} items  feedparser {row[0]} ms  now {row[1]} ms CPU"
              f"  {'lxml' if taken else 'feedparser'}")
    print(f"\n{items} items; {fast_files} of {len(per_50[True])} files with items take the lxml path")
    for fast, label in ((False, "feedparser path"), (True, "with fast path")):
        print(f"corpus, {label:16} per 50-item feed CPU: median {statistics.median(per_50[fast]) * 1000:5.1f} ms, "
              f"corpus-wide {totals[fast] / items * 50 * 1000:5.1f} ms; corpus total CPU {totals[fast]:.2f} s")


def main(rounds: int = 5) -> None:
    """Every measurement this script makes."""
    generated(rounds)
    if CORPUS.is_dir():
        print()
        corpus(rounds)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
