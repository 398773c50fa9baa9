"""The fast path's reading of one RSS/Atom item: its children checked now, its texts read when asked for.

Every check that can hand the document to feedparser runs for every item, skipped or not; reading titles,
summaries and dates waits until feed.py asks for an entry's details, which it does only for items it keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any

from watcher.parse.dates import feedparser_date
from watcher.parse.entry import Details, Entry, best_body
from watcher.parse.fast_values import DATES, NAMESPACES, TYPES, HandOff, alternate_html, fix, href_of, is_harmless, key_of

_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_SUMMARY_KEYS = frozenset({"description", "dc:description", "summary", "content:encoded", "content"})
_PLAIN_SUMMARY_KEYS = frozenset({"description", "dc:description", "summary"})
_HTML_SUMMARY_KEYS = frozenset({"description", "dc:description", "content:encoded"})
# What an item's child is to feed.py; _NOTHING for comments and for what feed.py does not read.
_NOTHING, _TITLE, _SUMMARY, _LINK, _GUID, _DATE, _AUTHOR, _SOURCE, _MEDIA_TITLE, _REFUSED = range(10)
_ROLES = {"title": _TITLE, "dc:title": _TITLE, "link": _LINK, "guid": _GUID, "id": _GUID, "author": _AUTHOR,
          "dc:creator": _AUTHOR, "source": _SOURCE, "media:title": _MEDIA_TITLE, "language": _NOTHING,
          "dc:language": _NOTHING, **dict.fromkeys(_SUMMARY_KEYS, _SUMMARY), **dict.fromkeys(DATES, _DATE)}
# Roles whose element feedparser reads as plain text: an element inside one hands the document over.
_CHILDLESS = frozenset({_TITLE, _SUMMARY, _GUID, _DATE, _SOURCE})


def _role_of(key: str) -> int:
    role = _ROLES.get(key)
    if role is not None:
        return role
    return _NOTHING if not key or is_harmless(key) else _REFUSED


# Names and roles by tag, where the tag alone decides them: the same for every document, so kept across
# documents (and dropped whole if hostile documents make them grow).
_KEYS: dict[Any, str] = {}
_ROLES_BY_TAG: dict[Any, tuple[int, str]] = {}
_MAX_TAGS = 20_000


class ItemReader:
    """Element names, single texts and whole items of one document, as feedparser would read them."""

    def __init__(self, resolve: Callable[[str], str]) -> None:
        self.resolve = resolve
        if len(_KEYS) > _MAX_TAGS or len(_ROLES_BY_TAG) > _MAX_TAGS:
            _KEYS.clear()
            _ROLES_BY_TAG.clear()
        self.keys = _KEYS
        self.roles = _ROLES_BY_TAG

    def key(self, element: Any) -> str:
        """The element's name as feedparser dispatches it: known namespaces by its prefix, lower case."""
        tag = element.tag
        key = self.keys.get(tag)
        if key is None:
            key, by_tag = key_of(tag, element.prefix, NAMESPACES)
            if by_tag:  # the element's own prefix did not count: the tag alone decides next time
                self.keys[tag] = key
        return key

    def text(self, element: Any, name: str, *, atom: bool = False, kind: str | None = None) -> str:
        """An element's text as feedparser's pop() leaves it (no markup inside: that is feedparser's job)."""
        if len(element):
            raise HandOff
        check_attributes(element.attrib, atom=atom, kind=kind)
        return self._value(element, name)

    def _value(self, element: Any, name: str) -> str:
        value = element.text
        if not value:
            return ""
        value = value.strip()
        if name in ("link", "id") and value:
            value = self.resolve(value)
        return fix(value)

    def entry(self, item: Any, *, atom: bool, language: str | None) -> Entry:
        """The entry of one item; HandOff when any part of it needs feedparser."""
        attributes = item.attrib
        guid = ""
        if attributes:
            if "lastmod" in attributes or "href" in attributes:
                raise HandOff
            guid = attributes.get(_RDF_ABOUT) or ""
        titles: list[Any] = []
        summaries: list[tuple[str, Any]] = []
        dates: dict[str, Any] = {}
        author, publisher = "", None
        alternate: str | None = None  # the first alternate link with an address
        link: str | None = None  # feedparser's entry["link"], None while it has none
        guidislink: bool | None = None
        media_title = False
        roles = self.roles
        for element in item:
            found = roles.get(element.tag)
            role, key = found if found is not None else self._role(element)
            if len(element):
                if role in _CHILDLESS:
                    raise HandOff  # markup or structure inside a text: feedparser's reading of it
                media_title |= self._nested(element, atom=atom)
            if role == _NOTHING:
                continue
            if role == _SUMMARY:
                summaries.append((key, element))
            elif role == _TITLE:
                check_attributes(element.attrib, atom=atom, kind="text/plain")
                titles.append(element)
            elif role == _LINK:
                rel, href, alternate_link = self._link(element)
                if href and rel == "alternate" and alternate is None:
                    alternate = href
                if alternate_link is not None:
                    link = alternate_link
            elif role == _GUID:
                guid, permalink = self._guid(element)
                if guidislink is None:
                    guidislink = permalink and link is None
                if permalink and link is None:
                    link = guid
            elif role == _DATE:
                check_attributes(element.attrib)
                dates[DATES[key]] = element  # feedparser keeps the last of each name
            elif role == _AUTHOR:
                author = self._author(element, atom=atom)
            elif role == _SOURCE:
                publisher = self._source(element)
            elif role == _MEDIA_TITLE:
                media_title = True
            else:
                raise HandOff
        if media_title and not any(self._value(title, "title") for title in titles):
            raise HandOff  # feedparser would take media:title for the missing title
        checked = self._summaries(summaries, atom=atom) if summaries else []
        return Entry(guid, bool(guidislink), alternate if alternate is not None else link,
                     partial(self._details, titles, checked, dates, author, publisher, language))

    def _details(self, titles: list[Any], summaries: list[tuple[bool, Any, str]], dates: dict[str, Any],
                 author: str, publisher: str | None, language: str | None) -> Details:
        values = [self._value(title, "title") for title in titles]
        title = next((value for value in values if value), values[-1] if values else "")
        contents: list[tuple[str, str]] = []
        summary: str | None = None
        summary_type: str | None = None
        for is_content, element, kind in summaries:
            value = self._value(element, "summary")
            if is_content:
                contents.append((value, kind))
                if summary is None:
                    summary = value
            else:
                summary, summary_type = value, kind
        body, body_type = best_body(contents, summary or "", summary_type)
        date = ""
        for name in ("published", "updated", "created"):  # feed.py takes the first that is not empty
            date = self._value(dates[name], "date") if name in dates else ""
            if date:
                break
        return Details(title=title, title_language=language if titles else None, body=body, body_type=body_type,
                       summary=summary or "", author=author, date=date, read_date=feedparser_date,
                       publisher=publisher)

    def _role(self, element: Any) -> tuple[int, str]:
        """What an item's child is to feed.py and its name, cached per tag where the tag alone decides the name."""
        tag = element.tag
        key = self.key(element)
        role = (_role_of(key), key)
        if tag in self.keys:
            self.roles[tag] = role
        return role

    def _nested(self, element: Any, *, atom: bool) -> bool:
        """Whether the descendants of an item's child hold a media:title; HandOff for those that matter."""
        media_title = False
        for descendant in element.iterdescendants():
            key = self.key(descendant)
            if not key:
                continue
            if key == "media:title":
                media_title = True
            elif key in ("name", "email", "uri") and atom and descendant.getparent() is element:
                continue  # an Atom author's parts, read by _author (which refuses them anywhere else)
            elif not is_harmless(key):
                raise HandOff
        return media_title

    def _link(self, element: Any) -> tuple[str, str | None, str | None]:
        """(rel, href, the value feedparser's entry["link"] takes or None) of a <link>."""
        attributes = element.attrib
        if not attributes:  # RSS: the address is the text
            if len(element):
                raise HandOff
            value = link_text(self._value(element, "link"))
            return "alternate", value or None, value
        rel = (attributes.get("rel") or "alternate").lower()
        href = href_of(element)
        if href is not None:
            href = self.resolve(href)
            return rel, href, href if alternate_html(element, rel) else None
        if set(attributes) - {"rel", "type"}:
            raise HandOff
        value = link_text(self.text(element, "link"))
        return rel, value or None, value

    def _guid(self, element: Any) -> tuple[str, bool]:
        """The GUID's value and whether it is a permalink."""
        permalink = True
        attributes = element.attrib
        if attributes:
            if len(attributes) == 1 and "isPermaLink" in attributes:  # as RSS writes it: no lowering needed
                permalink = attributes["isPermaLink"] == "true"
            else:
                lowered = {name.lower(): value for name, value in attributes.items()}
                permalink = lowered.get("ispermalink", "true") == "true"
                if set(lowered) - {"ispermalink"}:
                    raise HandOff
        value = (element.text or "").strip()
        if permalink and value:
            value = self.resolve(value)
        return fix(value), permalink

    def _author(self, element: Any, *, atom: bool) -> str:
        if not len(element):
            return self.text(element, "author")
        if not atom or len(element.attrib) or (element.text or "").strip():
            raise HandOff
        parts: dict[str, str] = {}
        for child in element:
            key = self.key(child)
            if key not in ("name", "email", "uri") or len(child) or key in parts:
                raise HandOff
            parts[key] = (child.text or "").strip()
        name, email = parts.get("name"), parts.get("email")
        if name and email:
            return f"{name} ({email})"
        return name or email or ""

    def _source(self, element: Any) -> str | None:
        """The outlet's name, when the <source> has a url (feedparser's source href) and a title."""
        if len(element) or set(element.attrib) - {"url"}:
            raise HandOff
        value = self.text(element, "source")
        return value if value and element.get("url") else None

    def _summaries(self, summaries: list[tuple[str, Any]], *, atom: bool) -> list[tuple[bool, Any, str]]:
        """description, summary and content as feedparser files them: whether each is content and its type;
        HandOff for the rest."""
        checked = []
        plain = 0
        for key, element in summaries:
            if key in _PLAIN_SUMMARY_KEYS:
                plain += 1
                if plain > 1:
                    raise HandOff  # a second summary becomes content in feedparser, by its order of arrival
            attributes = element.attrib
            is_content, kind = _summary_kind(key, atom, tuple(attributes.items()) if attributes else ())
            checked.append((is_content, element, kind))
        return checked


@lru_cache(maxsize=1024)
def _summary_kind(key: str, atom: bool, attributes: tuple[tuple[str, str], ...]) -> tuple[bool, str]:
    """Whether a summary element is content, and its type; the same for every item of a feed, so worked out
    once."""
    found = dict(attributes)
    if key == "content" and not atom:
        raise HandOff
    if key == "summary" and not atom:
        raise HandOff  # RSS text declared plain: feedparser guesses whether it is HTML after all
    default = "text/html" if key in _HTML_SUMMARY_KEYS else "text/plain"
    kind = TYPES.get((found.get("type") or default).lower()) if atom else default
    if kind is None or (key == "content" and found.get("src")):
        raise HandOff
    check_attributes(found, atom=atom, kind=kind)
    return key in ("content:encoded", "content"), kind


def check_attributes(attributes: Mapping[str, str], *, atom: bool = False, kind: str | None = None) -> None:
    """HandOff unless the attributes of a text element leave it plain text feedparser reads as it is."""
    if attributes:
        if "mode" in attributes or ("type" in attributes and not atom):
            raise HandOff
        if kind is not None and atom and TYPES.get(attributes.get("type", "text").lower()) is None:
            raise HandOff  # xhtml and other types are serialised markup feedparser rebuilds


def link_text(value: str) -> str:
    """A <link>'s text as feedparser leaves it: its own entity references undone."""
    value = value.replace("&amp;", "&")
    return _LINK_ENTITY.sub(r"&\g<1>", value) if "&" in value else value
