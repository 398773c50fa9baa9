"""Article text for ``fulltext: true`` sources: fetch each new item's page and extract its body with trafilatura.

Bounded: at most ``max_items`` pages a poll, one page at a time (polite to the outlet, whose items share a
host), each within ``page_timeout`` seconds and the fetcher's size cap, all within ``total_timeout``. A page that
fails leaves its item as the feed gave it: the teaser is still worth matching and storing.

An item's link is the publisher's choice: it is fetched only where ``reach`` allows (watcher.fetch.reach), and
a link refused for that is said in one line, returned with the items for the source's poll to report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.errors import FetchError, LinkRefused
from watcher.fetch import Fetcher, Reach
from watcher.models import Item

log = logging.getLogger("watcher.sources.fulltext")
MAX_TEXT = 100_000  # characters kept of one article: more is a page dump, not an article


@dataclass(frozen=True, slots=True)
class FulltextSettings:
    """How much one poll may spend on article pages."""

    max_items: int = 30
    page_timeout: float = 20.0
    total_timeout: float = 120.0
    max_page_bytes: int = 3_000_000  # extraction of a bigger page takes seconds of CPU: skipped


def extract_article(html: bytes | str, url: str | None = None) -> str | None:
    """The main text of an article page, paragraphs separated by blank lines; None when none is found."""
    if not html:
        return None
    import trafilatura  # here, not at the top: it costs ~150 ms of every start and few sources need it

    try:
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True, deduplicate=True)
    except (ValueError, TypeError, RecursionError) as e:  # a hostile page must cost its item, not the poll
        log.info("%s: no article text: %s", url, e)
        return None
    text = (text or "").strip()
    return text[:MAX_TEXT] or None


def with_article(item: Item, article: str | None) -> Item:
    """``item`` with its text replaced by the article when the article says more than the feed's teaser."""
    if not article or len(article) <= len(item.text):
        return item
    return dataclasses.replace(item, text=article)


async def add_fulltext(items: Sequence[Item], fetcher: Fetcher, settings: FulltextSettings | None = None, *,
                       reach: Reach | None = None) -> tuple[list[Item], list[str]]:
    """``items`` with each one's page text as its text, as far as the limits allow, and why links were refused
    (``reach``: where links may lead; by default public addresses only); never raises for a page."""
    settings = settings or FulltextSettings()
    reach = reach or Reach()
    refused: list[str] = []
    out = list(items)
    deadline = time.monotonic() + settings.total_timeout
    for index, item in enumerate(out[: settings.max_items]):
        left = min(settings.page_timeout, deadline - time.monotonic())
        if item.link is None or left <= 0:
            continue
        try:
            async with asyncio.timeout(left):
                result = await fetcher.fetch(item.link, reach=reach)
        except LinkRefused as e:
            log.warning("%s", e)
            refused.append(f"article page {e}")
            continue
        except (FetchError, TimeoutError) as e:
            log.info("%s: page not fetched, keeping the feed's text: %s", item.link, e)
            continue
        if len(result.content) > settings.max_page_bytes:
            continue
        article = await asyncio.to_thread(extract_article, result.content, result.final_url)
        out[index] = with_article(item, article)
    return out, refused
