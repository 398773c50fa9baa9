"""Golden pairs: each small feed under tests/data/parse/ next to the items it must parse to (.json).

Regenerate after a deliberate change with `python tests/test_parse_golden.py`, then read the diff.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watcher.models import ParsedFeed
from watcher.parse import parse_feed

GOLDEN = Path(__file__).resolve().parent / "data" / "parse"
FETCHED_AT = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
# file -> (feed URL, response headers, source timezone)
CASES: dict[str, tuple[str, tuple[tuple[str, str], ...], str]] = {
    "rss20.xml": ("https://www.example.com/feed/", (("content-type", "application/rss+xml; charset=utf-8"),), "UTC"),
    "atom.xml": ("https://monitor.example.org/atom.xml", (("content-type", "application/atom+xml"),), "UTC"),
    "rss10.rdf": ("https://rdf.example.net/index.rdf", (), "Europe/Berlin"),
    "cp1251.xml": ("http://vesti.example.ru/newrss.php", (("content-type", "text/xml"),), "Europe/Moscow"),
    "arminfo.xml": ("https://arminfo.example.am/feeds/english_rss.xml", (("content-type", "text/xml; charset=utf-8"),),
                    "Asia/Yerevan"),
    "repeated_guid.xml": ("https://qafqaz.example.az/rss", (), "Asia/Baku"),
    "no_guid.xml": ("https://azertag.example.az/rss", (), "Asia/Baku"),
    "google_news.xml": ("https://news.google.com/rss/search?q=Stepanakert&hl=en-US&gl=US&ceid=US:en",
                        (("content-type", "application/xml; charset=utf-8"),), "UTC"),
    "armenian.xml": ("https://lurer.example.am/rss", (("content-type", "application/rss+xml"),), "Asia/Yerevan"),
}


def as_json(parsed: ParsedFeed) -> dict[str, Any]:
    """A ParsedFeed as plain JSON values, dates in ISO 8601."""
    items = [
        {
            "key": item.key, "title": item.title, "text": item.text, "link": item.link,
            "published": item.published.isoformat(), "guid": item.guid, "author": item.author,
            "summary_html": item.summary_html, "publisher": item.publisher, "language": item.language,
        }
        for item in parsed.items
    ]
    return {"title": parsed.title, "link": parsed.link, "problems": list(parsed.problems), "items": items}


def parse_case(name: str) -> ParsedFeed:
    url, headers, zone = CASES[name]
    return parse_feed((GOLDEN / name).read_bytes(), url=url, headers=headers, fetched_at=FETCHED_AT, timezone=zone)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert as_json(parse_case(name)) == expected


def test_every_golden_feed_has_a_case() -> None:
    feeds = {p.name for p in GOLDEN.iterdir() if p.suffix != ".json"}
    assert feeds == set(CASES)


if __name__ == "__main__":
    for case in sys.argv[1:] or sorted(CASES):
        text = json.dumps(as_json(parse_case(case)), ensure_ascii=False, indent=2) + "\n"
        (GOLDEN / f"{case}.json").write_text(text, encoding="utf-8")
        print(f"wrote {case}.json")
