"""Run inside reader's own virtualenv by the harness: lemon24's reader on the benchmark's feeds.

    python reader_driver.py update DB URLS_FILE      # add the feeds, update_feeds(workers=10, scheduled=False)
    python reader_driver.py search DB NAMES_FILE     # enable search, update_search(), one query per name

Prints one JSON object: its own timings and counts (the harness measures the whole process as well).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from reader import make_reader  # type: ignore[import-not-found]  # only in reader's own venv


def update(database: str, urls_file: str) -> dict[str, float]:
    """Add every feed (no-op when known) and update them all with 10 workers."""
    reader = make_reader(database)
    started = time.perf_counter()
    for url in Path(urls_file).read_text().split():
        reader.add_feed(url, exist_ok=True)
    # scheduled=False: reader 3.x otherwise skips feeds updated in the last hour, and a poll must poll.
    reader.update_feeds(workers=10, scheduled=False)
    seconds = time.perf_counter() - started
    counts = reader.get_entry_counts()
    errors = sum(1 for feed in reader.get_feeds() if feed.last_exception)
    reader.close()
    return {"update_s": seconds, "entries": counts.total, "feed_errors": errors}


def search(database: str, names_file: str) -> dict[str, float]:
    """Index every entry for search, then search each actor spelling as a phrase."""
    reader = make_reader(database)
    started = time.perf_counter()
    reader.enable_search()
    reader.update_search()
    indexed = time.perf_counter()
    hits = 0
    names = [n for n in Path(names_file).read_text(encoding="utf-8").splitlines() if n.strip()]
    for name in names:
        phrase = '"' + name.replace('"', " ") + '"'
        hits += sum(1 for _ in reader.search_entries(phrase))
    done = time.perf_counter()
    reader.close()
    return {"index_s": indexed - started, "search_s": done - indexed, "queries": len(names), "hits": hits}


if __name__ == "__main__":
    command, database, listing = sys.argv[1:4]
    result = update(database, listing) if command == "update" else search(database, listing)
    print(json.dumps(result))
