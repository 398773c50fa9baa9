"""Small pieces of the lxml fast path: element names, links and text as feedparser leaves them."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin

from watcher.parse.identity import ABSOLUTE_URL

# Elements with a feedparser handler whose effect never reaches the fields feed.py reads.
_HARMLESS = frozenset({"category", "dc:subject", "media:category", "media:rating", "media:credit", "media:restriction",
                       "media:license", "media:content", "media:thumbnail", "media:group", "media:player",
                       "enclosure", "keywords"})
# Keys feed.py reads from an entry: an element without a handler stored under one of them would change it.
_READ_KEYS = frozenset({"title", "summary", "summary_detail", "content", "links", "link", "guidislink", "id",
                        "author", "published", "updated", "created", "published_parsed", "updated_parsed",
                        "created_parsed", "source", "title_detail"})
DATES = {"pubdate": "published", "published": "published", "issued": "published", "dc:date": "updated",
         "updated": "updated", "modified": "updated", "lastbuilddate": "updated", "created": "created"}
FEED_KEYS = frozenset({"title", "dc:title", "media:title", "link", "language", "dc:language"})
TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "text/plain": "text/plain",
         "text/html": "text/html"}
# A scheme not followed by "//" (urn:, tag:): no network location that could fail to parse, and
# feedparser's fix for extra slashes has nothing to do.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)")
_C1 = re.compile("[\x80-\x9f]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")


NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}


class HandOff(Exception):
    """The document needs feedparser."""


def key_of(tag: Any, prefix: str | None, namespaces: Mapping[str, str]) -> tuple[str, bool]:
    """The element's name as feedparser dispatches it ("" for comments), and whether the tag alone decides it."""
    if not isinstance(tag, str):
        return "", True
    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    lowered = namespace.lower()
    if "backend.userland.com/rss" in lowered:
        lowered = "http://backend.userland.com/rss"
    known = namespaces.get(lowered)
    # An unknown namespace is dispatched by the prefix the document gave it, which the tag does not show.
    name = known if known is not None else prefix
    key = f"{name}:{local}".lower() if name else local.lower()
    return key, known is not None


@lru_cache(maxsize=4096)  # bounded: a hostile feed may invent any number of names
def is_harmless(key: str) -> bool:
    """True for an element whose feedparser reading never reaches what feed.py reads: a handler with no
    effect on those fields, or no handler and a key feed.py never reads."""
    if key in _HARMLESS:
        return True
    method = key.replace(":", "_")
    if hasattr(_FeedParserMixin, f"_start_{method}") or hasattr(_FeedParserMixin, f"_end_{method}"):
        return False
    return method not in _READ_KEYS and key not in _READ_KEYS


def resolver(base: str) -> Callable[[str], str]:
    """feedparser's resolution of a link against ``base``, skipping the join where urljoin would hand the
    link back unchanged: an absolute http(s) link, or one in a scheme other than the base's."""
    try:
        base_scheme = urlsplit(base).scheme
    except ValueError:
        return lambda value: str(_urljoin(base, value))

    def resolve(value: str) -> str:
        if ABSOLUTE_URL.match(value):
            return value
        scheme = _SCHEME.match(value)
        if scheme is not None and scheme.group(1).lower() != base_scheme:
            return value
        return str(_urljoin(base, value))
    return resolve


def href_of(element: Any) -> str | None:
    """feedparser's _enforce_href: url, uri or href when non-empty, else href even when empty."""
    attributes = element.attrib
    if not attributes:
        return None
    if not "".join(attributes).islower():  # feedparser lowers attribute names
        attributes = {name.lower(): value for name, value in attributes.items()}
    href: str | None = attributes.get("url", attributes.get("uri", attributes.get("href")))
    return href if href else attributes.get("href")


def alternate_html(element: Any, rel: str) -> bool:
    """Whether a link with this (lower-case) rel is the alternate HTML page, which feedparser makes ``link``."""
    if rel != "alternate":
        return False
    kind = element.get("type")
    return not kind or _FeedParserMixin.map_content_type(kind.lower()) in _FeedParserMixin.html_types


def fix(value: str) -> str:
    """feedparser's last touches on text: UTF-8 read as Latin-1 is undone, C1 controls become cp1252."""
    if value.isascii():
        return value
    if not _BEYOND_LATIN1.search(value):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_cp1252) if _C1.search(value) else value
