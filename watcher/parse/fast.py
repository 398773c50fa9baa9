"""A fast path for well-formed RSS 2.0, RSS 1.0 and Atom 1.0: lxml instead of feedparser's SAX handlers.

It builds the same entry dictionaries feedparser would (only the keys feed.py reads) and returns None
whenever the document holds anything whose feedparser reading it does not reproduce exactly: ill-formed
XML, xml:base, nested items, markup inside text elements, unknown elements that feedparser maps onto the
fields we read, unusual content types.  None hands the document to feedparser, the parser of record.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree  # type: ignore[import-untyped]

from watcher.parse.dates import ours_reads

_XML_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
_PREFIX_DECLARATION = re.compile(r"""xmlns:([\w.-]+)\s*=\s*["']([^"']*)["']""")
_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# Elements with a feedparser handler whose effect never reaches the fields feed.py reads.
_HARMLESS = frozenset({"category", "dc:subject", "media:category", "media:rating", "media:credit", "media:restriction",
                       "media:license", "media:content", "media:thumbnail", "media:group", "media:player",
                       "enclosure", "keywords"})
# Keys feed.py reads from an entry: an element without a handler stored under one of them would change it.
_READ_KEYS = frozenset({"title", "summary", "summary_detail", "content", "links", "link", "guidislink", "id",
                        "author", "published", "updated", "created", "published_parsed", "updated_parsed",
                        "created_parsed", "source", "title_detail"})
_DATES = {"pubdate": "published", "published": "published", "issued": "published", "dc:date": "updated",
          "updated": "updated", "modified": "updated", "lastbuilddate": "updated", "created": "created"}
_FEED_KEYS = frozenset({"title", "dc:title", "media:title", "link", "language", "dc:language"})
_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "text/plain": "text/plain",
          "text/html": "text/html"}


class _HandOff(Exception):
    """The document needs feedparser."""


@dataclass(frozen=True, slots=True)
class FastFeed:
    """What feedparser would have returned for the parts feed.py reads: the feed dict and the entries."""

    feed: dict[str, Any]
    entries: list[dict[str, Any]]


def fast_parse(document: str, *, url: str, language: str | None) -> FastFeed | None:
    """The feed and entries of a clean RSS 2.0/1.0 or Atom 1.0 document, or None to hand it to feedparser."""
    try:
        return _Reader(document, url=url, language=language).read()
    except _HandOff:
        return None


class _Reader:
    def __init__(self, document: str, *, url: str, language: str | None) -> None:
        self.document = document
        self.base = make_safe_absolute_uri(url, url) or url
        if (make_safe_absolute_uri(self.base, self.base) or self.base) != self.base:
            raise _HandOff
        self.language = language
        self.keys: dict[Any, str] = {}
        self.text_language: str | None = language

    def read(self) -> FastFeed:
        root = self._root()
        key = self._key(root)
        if key == "rss":
            channels = [child for child in root if self._key(child) == "channel"]
            if len(channels) != 1:
                raise _HandOff
            channel = channels[0]
            feed_children = [child for child in channel if self._key(child) != "item"]
            items = [child for child in channel if self._key(child) == "item"]
            atom = False
        elif key == "rdf:rdf":
            channels = [child for child in root if self._key(child) == "channel"]
            if len(channels) != 1:
                raise _HandOff
            feed_children = list(channels[0])
            items = [child for child in root if self._key(child) == "item"]
            atom = False
        elif key == "feed" and root.tag == "{http://www.w3.org/2005/Atom}feed":
            feed_children = [child for child in root if self._key(child) != "entry"]
            items = [child for child in root if self._key(child) == "entry"]
            atom = True
        else:
            raise _HandOff
        if not items:
            raise _HandOff
        self._check_everything(root, set(items))
        root_lang = root.get(_XML_LANG, root.get("lang"))
        # feedparser: a non-empty xml:lang on <rss> or <feed> is the feed's language; on any root it is the
        # language of every text; the HTTP Content-Language stands in for it.
        self.text_language = (root_lang or None) if root_lang is not None else self.language
        feed_language = root_lang if root_lang and key in ("rss", "feed") else self.language
        feed = self._feed(feed_children, default_language=feed_language, atom=atom)
        return FastFeed(feed=feed, entries=[self._entry(item, atom=atom) for item in items])

    def _root(self) -> Any:
        text = _XML_DECLARATION.sub("", self.document, count=1)
        declared: dict[str, str] = {}
        for prefix, uri in _PREFIX_DECLARATION.findall(text[:200_000]):
            if declared.setdefault(prefix, uri) != uri:
                raise _HandOff  # one prefix, two namespaces: feedparser's global prefix map would mix them
            known = _NAMESPACES.get(uri.lower())
            if known is None and "backend.userland.com/rss" not in uri.lower() and prefix in set(_NAMESPACES.values()):
                raise _HandOff
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                                 remove_comments=False, strip_cdata=True)
        try:
            return etree.fromstring(text.encode("utf-8"), parser)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise _HandOff from exc

    def _key(self, element: Any) -> str:
        """The element's name as feedparser dispatches it: known namespaces by its prefix, lower case."""
        tag = element.tag
        if not isinstance(tag, str):
            return ""
        cached = self.keys.get(tag + "|" + (element.prefix or ""))
        if cached is not None:
            return cached
        namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
        lowered = namespace.lower()
        if "backend.userland.com/rss" in lowered:
            lowered = "http://backend.userland.com/rss"
        prefix = _NAMESPACES.get(lowered, element.prefix)
        key = f"{prefix}:{local}".lower() if prefix else local.lower()
        self.keys[tag + "|" + (element.prefix or "")] = key
        return key

    def _check_everything(self, root: Any, items: set[Any]) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for name in element.attrib:
                name = name.lower()
                if (name.endswith(("}base", "}lang")) or name in ("base", "lang")) and (
                        element is not root or name.endswith("base") or name not in (_XML_LANG.lower(), "lang")):
                    raise _HandOff  # a changed base changes resolved links; a changed language the items'
            if self._key(element) in ("item", "entry") and element not in items:
                raise _HandOff  # nested or misplaced items

    def _feed(self, children: list[Any], *, default_language: str | None, atom: bool) -> dict[str, Any]:
        feed: dict[str, Any] = {}
        if default_language:
            feed["language"] = default_language.replace("_", "-")
        titles = 0
        for child in children:
            key = self._key(child)
            if key not in ("image", "textinput"):
                for descendant in child.iterdescendants():
                    if self._key(descendant) in _FEED_KEYS:
                        raise _HandOff  # feedparser files a nested title or link at feed level by depth
            if key in ("title", "dc:title"):
                titles += 1
                value = self._text(child, "title", atom=atom, kind="text/plain")
                if titles > 1:
                    raise _HandOff  # feedparser keeps the first non-empty one only by depth bookkeeping
                feed["title"] = value
            elif key == "media:title":
                raise _HandOff
            elif key in ("language", "dc:language"):
                feed["language"] = self._text(child, "language")
            elif key == "link":
                href = _href(child)
                if href is not None:
                    if _alternate_html(child, atom=True):
                        feed["link"] = self._resolve(href)
                else:
                    feed["link"] = _LINK_ENTITY.sub(r"&\g<1>", self._text(child, "link"))
        return feed

    def _entry(self, item: Any, *, atom: bool) -> dict[str, Any]:
        for name in ("lastmod", "href"):
            if name in item.attrib:
                raise _HandOff
        entry: dict[str, Any] = {"links": []}
        about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        if about:
            entry["id"] = about
        title: str | None = None
        titles, summaries, media_title = [], [], False
        for element in item.iter():
            if element is item or not isinstance(element.tag, str):
                continue
            key = self._key(element)
            parent = element.getparent()
            if parent is not item:
                if key == "media:title":
                    media_title = True
                elif key in ("name", "email", "uri") and atom and parent.getparent() is item:
                    continue  # an Atom author's parts, read by _author (which refuses them anywhere else)
                elif not (key in _HARMLESS or self._handlerless(key, element)):
                    raise _HandOff
                continue
            if key in ("title", "dc:title"):
                titles.append(self._text(element, "title", atom=atom, kind="text/plain"))
            elif key in ("description", "dc:description", "summary", "content:encoded", "content"):
                summaries.append((key, element))
            elif key == "link":
                self._link(element, entry)
            elif key in ("guid", "id"):
                self._guid(element, entry)
            elif key in _DATES:
                name = _DATES[key]
                value = self._text(element, name)
                entry[name] = value
                entry[f"{name}_parsed"] = None if ours_reads(value) else _parse_date(value)
            elif key in ("author", "dc:creator"):
                entry["author"] = self._author(element, atom=atom)
            elif key == "source":
                entry["source"] = self._source(element)
            elif key == "media:title":
                media_title = True
            elif key in ("language", "dc:language"):
                continue  # stored on the entry by feedparser, read by nobody
            elif not (key in _HARMLESS or self._handlerless(key, element)):
                raise _HandOff
        title = next((value for value in titles if value), None)
        if title is None and media_title:
            raise _HandOff
        if title is not None or titles:
            entry["title"] = title or titles[-1]
            entry["title_detail"] = {"language": self._language_of(item)}
        self._summaries(summaries, entry, atom=atom)
        return entry

    def _handlerless(self, key: str, element: Any) -> bool:
        """True for an element feedparser has no handler for, stored under a key feed.py never reads."""
        method = key.replace(":", "_")
        if hasattr(_FeedParserMixin, f"_start_{method}") or hasattr(_FeedParserMixin, f"_end_{method}"):
            return False
        return method not in _READ_KEYS and key not in _READ_KEYS

    def _text(self, element: Any, name: str, *, atom: bool = False, kind: str | None = None) -> str:
        """An element's text as feedparser's pop() leaves it (no markup inside: that is feedparser's job)."""
        if len(element):
            raise _HandOff
        attributes = element.attrib
        if "mode" in attributes or ("type" in attributes and not atom):
            raise _HandOff
        if kind is not None and atom and _TYPES.get(attributes.get("type", "text").lower()) is None:
            raise _HandOff  # xhtml and other types are serialised markup feedparser rebuilds
        value = (element.text or "").strip()
        if name in ("link", "id") and value:
            value = self._resolve(value)
        return _fix(value)

    def _resolve(self, value: str) -> str:
        return str(_urljoin(self.base, value))

    def _link(self, element: Any, entry: dict[str, Any]) -> None:
        rel = (element.get("rel") or "alternate").lower()
        href = _href(element)
        if href is not None:
            link = {"rel": rel, "href": self._resolve(href)}
            entry["links"].append(link)
            if _alternate_html(element, atom=True):
                entry["link"] = link["href"]
            return
        if len(element.attrib) > 0 and set(element.attrib) - {"rel", "type"}:
            raise _HandOff
        value = self._text(element, "link").replace("&amp;", "&")
        value = _LINK_ENTITY.sub(r"&\g<1>", value)
        link = {"rel": rel}
        entry["links"].append(link)
        entry["link"] = value
        if value:
            link["href"] = value

    def _guid(self, element: Any, entry: dict[str, Any]) -> None:
        attributes = {name.lower(): value for name, value in element.attrib.items()}
        permalink = attributes.get("ispermalink", "true") == "true"
        if set(attributes) - {"ispermalink"} or len(element):
            raise _HandOff
        value = (element.text or "").strip()
        if permalink and value:
            value = self._resolve(value)
        value = _fix(value)
        entry["id"] = value
        entry.setdefault("guidislink", permalink and "link" not in entry)
        if permalink:
            entry.setdefault("link", value)

    def _author(self, element: Any, *, atom: bool) -> str:
        if not len(element):
            return self._text(element, "author")
        if not atom or len(element.attrib) or (element.text or "").strip():
            raise _HandOff
        parts: dict[str, str] = {}
        for child in element:
            key = self._key(child)
            if key not in ("name", "email", "uri") or len(child) or key in parts:
                raise _HandOff
            parts[key] = (child.text or "").strip()
        name, email = parts.get("name"), parts.get("email")
        if name and email:
            return f"{name} ({email})"
        return name or email or ""

    def _source(self, element: Any) -> dict[str, Any]:
        if len(element) or set(element.attrib) - {"url"}:
            raise _HandOff
        source: dict[str, Any] = {}
        if "url" in element.attrib:
            source["href"] = element.get("url")
        value = self._text(element, "source")
        if value:
            source["title"] = value
        return source

    def _summaries(self, summaries: list[tuple[str, Any]], entry: dict[str, Any], *, atom: bool) -> None:
        """description, summary and content as feedparser files them: one summary, any content."""
        plain = [key for key, _ in summaries if key in ("description", "dc:description", "summary")]
        if len(plain) > 1:
            raise _HandOff  # a second summary becomes content in feedparser, by its order of arrival
        for key, element in summaries:
            if key == "content" and not atom:
                raise _HandOff
            default = "text/html" if key in ("description", "dc:description", "content:encoded") else "text/plain"
            kind = _TYPES.get((element.get("type") or default).lower()) if atom else default
            if kind is None or (key == "content" and element.get("src")):
                raise _HandOff
            value = self._text(element, "summary", atom=atom, kind=kind)
            if not atom and kind == "text/plain" and _FeedParserMixin.looks_like_html(value):
                kind = "text/html"
            if key in ("content:encoded", "content"):
                entry.setdefault("content", []).append({"type": kind, "value": value})
                entry.setdefault("summary", value)
            else:
                entry["summary"] = value
                entry["summary_detail"] = {"type": kind}

    def _language_of(self, item: Any) -> str | None:
        return self.text_language.replace("_", "-") if self.text_language else None


def _href(element: Any) -> str | None:
    """feedparser's _enforce_href: url, uri or href when non-empty, else href even when empty."""
    attributes = {name.lower(): value for name, value in element.attrib.items()}
    href = attributes.get("url", attributes.get("uri", attributes.get("href")))
    return href if href else attributes.get("href")


def _alternate_html(element: Any, *, atom: bool) -> bool:
    rel = (element.get("rel") or "alternate").lower()
    kind = (element.get("type") or ("application/atom+xml" if rel == "self" else "text/html")).lower()
    return rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _FeedParserMixin.html_types


def _fix(value: str) -> str:
    """feedparser's last touches on text: UTF-8 read as Latin-1 is undone, C1 controls become cp1252."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_cp1252)
