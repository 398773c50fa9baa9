"""Finding a site's feed: the page's ``<link rel="alternate">`` feeds, then common feed paths at the site root.

:func:`feed_links` and :func:`common_paths` are pure; :func:`discover_feed` fetches the page and the candidates
one after another (polite to one host) until one parses as a feed, and keeps that fetch so the poll reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from watcher.errors import FetchError, ParseError
from watcher.fetch import Fetcher, Reach
from watcher.models import FetchResult
from watcher.parse import parse_feed

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+xml",
                        "application/rdf+xml", "application/xml", "text/xml"})
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")
MAX_PAGE = 2_000_000  # the head of a page holds its links; a bigger page is cut, not parsed whole
How = Literal["self", "link", "path"]


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page announces."""

    url: str
    title: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL tried as a site's feed: how it was found, and its item count or why it is no feed."""

    url: str
    how: How
    title: str | None = None
    items: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found on a page: every candidate tried, and the first working feed's fetch."""

    page: str
    candidates: tuple[Candidate, ...]
    feed: FetchResult | None = None

    @property
    def chosen(self) -> str | None:
        """The URL of the feed to poll, or None when none works."""
        return next((c.url for c in self.candidates if c.items is not None), None)

    def summary(self) -> str:
        """Why nothing was found, in one line: each candidate and its error."""
        tried = "; ".join(f"{c.url}: {c.error}" for c in self.candidates if c.error)
        return f"{self.page}: no RSS or Atom feed found" + (f" (tried {tried})" if tried else "")


def feed_links(html: bytes | str, base: str) -> list[FeedLink]:
    """The RSS/Atom feeds an HTML page announces with ``<link rel="alternate">``, absolute, in page order."""
    try:
        root = lxml.html.document_fromstring(html[:MAX_PAGE])
    except (etree.ParserError, ValueError):  # an empty or binary page
        return []
    base = _page_base(root, base)
    links: list[FeedLink] = []
    for link in root.iter("link"):
        rel = {r.lower() for r in (link.get("rel") or "").split()}
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and url not in {f.url for f in links}:
            title = " ".join((link.get("title") or "").split()) or None
            links.append(FeedLink(url=url, title=title, type=kind))
    # RSS before a comments feed: sites list the main feed first, but "comments" in a title is a sure sign.
    return sorted(links, key=lambda f: "comment" in (f.title or "").lower() or "comment" in f.url.lower())


def _page_base(root: lxml.html.HtmlElement, url: str) -> str:
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return str(urljoin(url, href))
    return url


def common_paths(url: str) -> list[str]:
    """The usual feed URLs at the root of ``url``'s site (and under its path, for a section page)."""
    parts = urlsplit(url)
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    prefixes = [root]
    section = parts.path.rstrip("/")
    if section:
        prefixes.insert(0, root + section)
    return list(dict.fromkeys(prefix + path for prefix in prefixes for path in COMMON_PATHS))


def as_feed(result: FetchResult, *, timezone: str = "UTC") -> int:
    """The number of items in a fetched document; raises ParseError when it is no feed."""
    return len(parse_feed(result.content, url=result.final_url, headers=result.headers,
                          fetched_at=result.fetched_at, timezone=timezone).items)


async def discover_feed(url: str, fetcher: Fetcher, *, try_all: bool = False, timezone: str = "UTC",
                        reach: Reach | None = None) -> Discovery:
    """Find the feed of the page at ``url``; with ``try_all`` every candidate is tried (for ``sources discover``).

    ``url`` was written by the analyst; the candidates come from the page, so each is fetched only where ``reach``
    allows (default: public addresses and ``url``'s own host and port; watcher.fetch.reach).
    """
    reach = reach or Reach(trusted=url)
    candidates: list[Candidate] = []
    chosen: FetchResult | None = None

    async def attempt(target: str, how: How, title: str | None = None, page: FetchResult | None = None) -> None:
        nonlocal chosen
        try:
            result = page or await fetcher.fetch(target, reach=reach)
            items = as_feed(result, timezone=timezone)
        except (FetchError, ParseError) as e:
            candidates.append(Candidate(target, how, title, error=_first_line(str(e))))
            return
        candidates.append(Candidate(result.final_url if how == "self" else target, how, title, items=items))
        chosen = chosen or result

    try:
        page = await fetcher.fetch(url)
    except FetchError as e:
        return Discovery(url, (Candidate(url, "self", error=_first_line(str(e))),))
    if _looks_like_xml(page.content):  # the URL is a feed already
        await attempt(url, "self", page=page)
        if chosen is not None:
            return Discovery(url, tuple(candidates), chosen)
    for link in feed_links(page.content, page.final_url):
        if chosen is None or try_all:
            await attempt(link.url, "link", link.title)
    if chosen is None:
        for target in common_paths(page.final_url):
            await attempt(target, "path")
            if chosen is not None:
                break
    return Discovery(url, tuple(candidates), chosen)


def _looks_like_xml(content: bytes) -> bool:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))


def _first_line(text: str) -> str:
    return " ".join(text.split())[:300]
