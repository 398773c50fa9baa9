"""Parse time over the shared corpus, normalised to a 50-item feed: the lxml fast path beside feedparser.

Run from the repository root: `python bench/parse_speed.py [rounds]` (the corpus must be at ../shared).
Times are CPU time (the machine is shared) and wall time, each the median of ``rounds`` runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from watcher.errors import ParseError
from watcher.parse import parse_feed
from watcher.parse.encoding import decode_document, gunzip
from watcher.parse.fast import fast_parse
from watcher.parse.sniff import root_element, without_doctype

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"


def _takes_fast_path(content: bytes, url: str) -> bool:
    if content[:2] == b"\x1f\x8b":
        content = gunzip(content)
    text = decode_document(content).text.lstrip()
    start, _ = root_element(text)
    return fast_parse(without_doctype(text, start), url=url, language=None) is not None


def _measure(content: bytes, url: str, fetched_at: datetime, *, fast: bool, rounds: int) -> tuple[float, float, int]:
    """Median CPU and wall seconds of one parse, and the item count."""
    cpu, wall, count = [], [], 0
    for _ in range(rounds):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        try:
            count = len(parse_feed(content, url=url, fetched_at=fetched_at, fast_path=fast).items)
        except ParseError:
            count = 0
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return statistics.median(cpu), statistics.median(wall), count


def main(rounds: int = 3) -> None:
    """Print per-file times of both paths and the median/corpus-wide CPU cost of 50 items."""
    fetched_at = datetime.now(UTC)
    per_50: dict[bool, list[float]] = {True: [], False: []}
    totals: dict[bool, list[float]] = {True: [0.0, 0.0], False: [0.0, 0.0]}
    items = 0
    fast_files = []
    for path in sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.md"):
        content, url = path.read_bytes(), f"https://bench.example/{path.name}"
        row = []
        for fast in (False, True):
            cpu, wall, count = _measure(content, url, fetched_at, fast=fast, rounds=rounds)
            totals[fast][0] += cpu
            totals[fast][1] += wall
            if count:
                per_50[fast].append(cpu / count * 50)
            row.append(f"{cpu * 1000:7.1f}")
        items += count
        taken = _takes_fast_path(content, url)
        if taken:
            fast_files.append(path.name)
        print(f"{path.name[:52]:52} {count:4d} items  feedparser {row[0]} ms  now {row[1]} ms CPU"
              f"  {'lxml' if taken else 'feedparser'}")
    print(f"\n{items} items; {len(fast_files)} of {len(per_50[True])} files with items take the lxml path")
    for fast, label in ((False, "feedparser path"), (True, "with fast path")):
        print(f"{label:16} per 50-item feed CPU: median {statistics.median(per_50[fast]) * 1000:5.1f} ms, "
              f"corpus-wide {totals[fast][0] / items * 50 * 1000:5.1f} ms; corpus total CPU {totals[fast][0]:.2f} s, "
              f"wall {totals[fast][1]:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
