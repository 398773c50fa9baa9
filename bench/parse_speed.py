"""Parse time over the shared corpus, normalised to a 50-item feed.

Run from the repository root: `python bench/parse_speed.py [rounds]` (the corpus must be at ../shared).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from watcher.errors import ParseError
from watcher.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"


def main(rounds: int = 3) -> None:
    """Print per-file best times and the median/total cost of 50 items."""
    fetched_at = datetime.now(timezone.utc)
    per_50: list[float] = []
    total_seconds = total_items = total_bytes = 0.0
    for path in sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.md"):
        content = path.read_bytes()
        best, count = float("inf"), 0
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                count = len(parse_feed(content, url=f"https://bench.example/{path.name}", fetched_at=fetched_at).items)
            except ParseError:
                count = 0
            best = min(best, time.perf_counter() - start)
        total_seconds += best
        total_items += count
        total_bytes += len(content)
        if count:
            per_50.append(best / count * 50)
        print(f"{path.name[:52]:52} {len(content) / 1024:8.1f} KiB {count:4d} items {best * 1000:8.1f} ms")
    print(f"\n{total_items:.0f} items, {total_bytes / 1e6:.2f} MB in {total_seconds:.2f} s; "
          f"per 50-item feed: median {statistics.median(per_50) * 1000:.0f} ms, "
          f"corpus-wide {total_seconds / total_items * 50 * 1000:.0f} ms, max {max(per_50) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
