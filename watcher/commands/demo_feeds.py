"""The demo's sample feeds, written for a moment: three weeks of fictional news dated back from it.

``demo_data/news.toml`` holds the feeds and their items without dates (see its header); ``sample_feeds(at)``
dates each item relative to ``at`` and writes every feed with its quirks (RSS or Atom, windows-1251, dates with
a zone, zone-less or ISO, descriptions escaped twice), so the demo's digest reads as if the news had just come
in, whatever the day it runs. Pure: data and a moment in, file names and bytes out.
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from watcher.config.durations import parse_duration

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo_data"
NEWS = DEMO_DATA / "news.toml"
HISTORY_DAYS = 21  # the routines fill this many days before the digest's own day
SUBTITLE = "Fictional sample feed for the watcher demo: the items are invented and report nothing that happened."


@dataclass(frozen=True, slots=True)
class SampleItem:
    """One fictional item, dated."""

    feed: str
    published: datetime
    title: str
    text: str
    link: str


def sample_items(at: datetime, news: dict[str, Any] | None = None) -> list[SampleItem]:
    """Every item of the sample news dated back from ``at``, newest first."""
    news = news if news is not None else load_news()
    dated: list[tuple[str, datetime, str, str]] = [
        (i["feed"], at - parse_duration(i["ago"]), i["title"], i["text"]) for i in news["today"]]
    for routine in news["daily"]:
        items = routine["items"]
        for day in range(1, HISTORY_DAYS + 1):
            if day % routine["every"] == 0:
                title, text = items[(day // routine["every"]) % len(items)]
                dated.append((routine["feed"], at - timedelta(days=day) - parse_duration(routine["at"]), title, text))
    for item in news.get("earlier", ()):  # an item of one day of the three weeks, `day` days before the digest's
        dated.append((item["feed"], at - timedelta(days=item["day"]) - parse_duration(item["at"]), item["title"],
                      item["text"]))
    dated.sort(key=lambda d: (d[1], d[0], d[2]), reverse=True)
    links = {name: feed["link"] for name, feed in news["feeds"].items()}
    return [SampleItem(feed, published, title, text, f"{links[feed]}news/{published:%Y%m%d}/{n:03d}")
            for n, (feed, published, title, text) in enumerate(dated)]


def sample_feeds(at: datetime, news: dict[str, Any] | None = None) -> dict[str, bytes]:
    """File name -> the feed's bytes, every item dated back from ``at``."""
    news = news if news is not None else load_news()
    return write_feeds(sample_items(at, news), at, news)


def write_feeds(items: list[SampleItem], at: datetime, news: dict[str, Any] | None = None) -> dict[str, bytes]:
    """File name -> the bytes of each sample feed holding ``items`` (of its own), as served at ``at``."""
    news = news if news is not None else load_news()
    return {feed["file"]: _write(feed, [i for i in items if i.feed == name], at)
            for name, feed in news["feeds"].items()}


def load_news() -> dict[str, Any]:
    """The sample news as written in ``news.toml``."""
    return tomllib.loads(NEWS.read_text(encoding="utf-8"))


def _write(feed: dict[str, Any], items: list[SampleItem], at: datetime) -> bytes:
    zone = ZoneInfo(feed["timezone"])
    encoding = feed.get("encoding", "utf-8")
    subtitle = feed.get("description", SUBTITLE)
    if feed["format"] == "atom":
        entries = "".join(
            f"  <entry>\n    <title>{escape(i.title)}</title>\n    <link href=\"{escape(i.link)}\"/>\n"
            f"    <id>{escape(i.link)}</id>\n    <published>{i.published.astimezone(zone).isoformat()}</published>\n"
            f"    <updated>{i.published.astimezone(zone).isoformat()}</updated>\n"
            f"    <summary type=\"html\">{escape(f'<p>{escape(i.text)}</p>')}</summary>\n  </entry>\n"
            for i in items)
        body = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
                f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed["language"]}">\n'
                f"  <title>{escape(feed['title'])}</title>\n  <subtitle>{escape(subtitle)}</subtitle>\n"
                f"  <link href=\"{escape(feed['link'])}\" rel=\"alternate\"/>\n  <id>{escape(feed['link'])}</id>\n"
                f"  <updated>{at.astimezone(zone).isoformat()}</updated>\n  <author><name>Demo</name></author>\n"
                f"{entries}</feed>\n")
        return body.encode(encoding)
    rendered = "".join(
        f"  <item>\n    <title>{escape(i.title)}</title>\n    <link>{escape(i.link)}</link>\n"
        f"    <guid isPermaLink=\"true\">{escape(i.link)}</guid>\n    <pubDate>{_date(i.published, zone, feed)}</pubDate>\n"
        f"    <description>{_description(i.text, feed)}</description>\n  </item>\n"
        for i in items)
    body = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0">\n<channel>\n'
            f"  <title>{escape(feed['title'])}</title>\n  <link>{escape(feed['link'])}</link>\n"
            f"  <description>{escape(subtitle)}</description>\n  <language>{feed['language']}</language>\n"
            f"{rendered}</channel>\n</rss>\n")
    return body.encode(encoding)


def _date(moment: datetime, zone: ZoneInfo, feed: dict[str, Any]) -> str:
    local = moment.astimezone(zone)
    if feed["dates"] == "local":  # wall-clock time of the outlet, without a zone
        return f"{local:%Y-%m-%d %H:%M:%S}"
    return format_datetime(local)


def _description(text: str, feed: dict[str, Any]) -> str:
    # The text holds HTML entities (&nbsp;) as an outlet's CMS writes them. Most feeds carry the characters; one
    # that escapes twice carries the entities as text (&amp;nbsp;), which the parser must undo.
    return escape(text) if feed.get("escaped_twice") else escape(html.unescape(text))
