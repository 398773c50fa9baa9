"""The parse stage: feed bytes plus response headers in, a ParsedFeed of normalised Items out.

feedparser is used here and nowhere else; its dictionaries never leave this module.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import feedparser

from watcher.errors import ParseError
from watcher.models import Item, ParsedFeed
from watcher.parse.charrefs import fix_references
from watcher.parse.dates import as_utc, load_timezone, read_date
from watcher.parse.encoding import charset_from_content_type, decode_document, gunzip
from watcher.parse.entry import Entry, from_feedparser
from watcher.parse.fast import fast_parse
from watcher.parse.identity import content_hash, content_identity, guid_key, link_and_key, resolve_link, unique_guids
from watcher.parse.sniff import refuse_web_page, root_element, without_doctype
from watcher.parse.text import MAX_TITLE, html_to_text, one_line, plain_to_text, title_text

MAX_SUMMARY_HTML = 200_000
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$")
_ITEM_END = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_EMPTY_HINT = "the server answered 200 with nothing in it; the feed may be down"
# Root elements of feed formats: such a document with no item is an empty feed, not "no feed" (feedparser
# names no version for Microsoft's CDF, whose root is <CHANNEL>).
_FEED_ROOTS = frozenset({"rss", "rdf", "feed", "channel"})
_ASCII_CHANGED = ("utf-16", "utf-32", "utf-7")  # encodings whose bytes for "&#" or NUL are not those bytes


def parse_feed(content: bytes, *, url: str, headers: Sequence[tuple[str, str]] = (), fetched_at: datetime,
               timezone: str = "UTC", fast_path: bool = True, skip: Collection[str] = frozenset()) -> ParsedFeed:
    """Parse one fetched document into items; raises ParseError when it holds no feed at all.

    A clean RSS/Atom document takes the lxml fast path (``fast_path=False`` forces feedparser); it yields
    the same items, and anything it does not reproduce exactly goes to feedparser. Items whose key is in
    ``skip`` (already stored; a set, looked up once per item) are left out and counted in ``skipped``;
    they cost only their key. So are items whose content identity is in ``skip`` (the same item under a
    link that changed), found once the item is read.
    """
    local = load_timezone(timezone)
    fetched_at = as_utc(fetched_at)
    if content[:2] == b"\x1f\x8b":  # some servers send gzip without Content-Encoding
        content = gunzip(content)
    if not content.strip():
        raise ParseError(f"{url}: the response body is empty", hint=_EMPTY_HINT)
    header_map = _header_map(headers)
    decoded = decode_document(content, http_charset=charset_from_content_type(header_map.get("content-type")))
    cleaned = _storable_document(decoded.text, content, decoded.encoding)
    # Blank lines before the XML declaration (a common CMS plugin bug) would force the lenient parser.
    text = cleaned.lstrip()
    root_start, root = root_element(text)
    refuse_web_page(text, root, url=url)
    document = without_doctype(text, root_start)
    language = header_map.get("content-language")
    # The bytes are the document's UTF-8 when they were decoded as such with nothing cut off its start.
    raw = (content if decoded.encoding == "utf-8" and decoded.problem is None and content[:1] == b"<"
           and cleaned is decoded.text and len(document) == len(decoded.text) else None)
    fast = fast_parse(document, url=url, language=language, raw=raw) if fast_path else None
    feed: Mapping[str, Any]
    if fast is not None:
        feed, entries, problem = fast.feed, fast.entries, None
    else:
        feed, entries, problem = _slow_parse(document, url=url, language=language, root=root)
    items, skipped = _items(entries, url=url, fetched_at=fetched_at, local=local,
                            language=_language(feed.get("language")), skip=skip)
    problems = tuple(p for p in (decoded.problem, problem) if p)
    return ParsedFeed(title=title_text(feed.get("title") or "") or None,
                      link=resolve_link(feed.get("link"), url), items=items, problems=problems, skipped=skipped)


def _storable_document(text: str, content: bytes, encoding: str) -> str:
    """The document without NULs and with its bad character references replaced (charrefs), so that neither
    parser meets them and no item carries one to the store; ``text`` itself when it holds neither.

    Both are looked for in the bytes where the encoding writes ASCII as ASCII: a memchr for NUL, and one for
    "#" (most feeds have none; a search for "&#" itself costs sixty times more).
    """
    ascii_bytes = not encoding.startswith(_ASCII_CHANGED)
    if (b"\x00" in content) if ascii_bytes else ("\x00" in text):
        text = text.replace("\x00", "")  # XML forbids the character, so no feed means one
    if (b"#" in content) if ascii_bytes else ("#" in text):
        text = fix_references(text)
    return text


def _slow_parse(document: str, *, url: str, language: str | None,
                root: str | None) -> tuple[Mapping[str, Any], list[Entry], str | None]:
    """feedparser's feed, whole entries and problem line; ParseError when the document holds no feed."""
    result = _feedparser(document, url=url, language=language)
    complete = _complete_entries(list(result.get("entries") or []), document, result)
    entries = [from_feedparser(entry) for entry in complete]
    problem = _bozo_line(result)
    feed_root = root is not None and root.rpartition(":")[2].lower() in _FEED_ROOTS and problem is None
    if not entries and not result.get("version") and not feed_root:
        raise ParseError(f"{url} holds no RSS or Atom feed" + (f" ({problem})" if problem else ""),
                         hint="check that the URL is the feed itself and not a page or an API")
    return result.get("feed") or {}, entries, problem


def _complete_entries(entries: list[Any], text: str, result: Mapping[str, Any]) -> list[Any]:
    """The entries that are whole: a document cut short (a dropped connection) ends inside its last item, and
    half an item (a cut title, no link) must not be stored as a story."""
    exc = result.get("bozo_exception")
    if entries and exc is not None and type(exc).__name__ == "SAXParseException" and "no element found" in exc.getMessage():
        return entries[: len(_ITEM_END.findall(text))]
    return entries


def _feedparser(text: str, *, url: str, language: str | None) -> Any:
    # Already decoded, so feedparser must not second-guess the charset; the XML declaration is rewritten by it.
    response_headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    if language:
        response_headers["content-language"] = language
    try:
        # A BytesIO, never a str: feedparser opens strings that look like URLs or paths.
        return feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=response_headers,
                                sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # a crash inside the third-party parser on a hostile document is that document's fault
        raise ParseError(f"{url}: feedparser failed on this document: {type(exc).__name__}: {exc}",
                         hint="the document is badly broken; report it if the source works in a feed reader") from exc


def _items(entries: list[Entry], *, url: str, fetched_at: datetime, local: tzinfo, language: str | None,
           skip: Collection[str]) -> tuple[tuple[Item, ...], int]:
    """The items of a document, each key once (a link repeated within one document: the first item wins),
    without those whose key is in ``skip``, and how many of these were left out."""
    guids = [_guid(entry) for entry in entries]
    unique = unique_guids(guids)
    items: list[Item] = []
    seen: set[str] = set()
    for entry, guid in zip(entries, guids, strict=True):
        # feedparser promotes a permalink GUID to the link; a GUID shared by every item is no permalink.
        link, key = (None, None) if entry.guidislink and guid not in unique else link_and_key(entry.link, url)
        if key is None and guid is not None and guid in unique:
            key = guid_key(url, guid)
        item = None
        if key is None:  # keyed by its content: only the whole item tells
            item = _item(entry, key=None, link=link, guid=guid, fetched_at=fetched_at, local=local, language=language)
            key = item.key
        if key in seen:
            continue
        seen.add(key)
        if key not in skip:
            item = item or _item(entry, key=key, link=link, guid=guid, fetched_at=fetched_at, local=local,
                                 language=language)
            if item.identity is None or item.identity not in skip:
                items.append(item)
    return tuple(items), len(seen) - len(items)


def _item(entry: Entry, *, key: str | None, link: str | None, guid: str | None, fetched_at: datetime, local: tzinfo,
          language: str | None) -> Item:
    details = entry.details()
    text = plain_to_text(details.body) if details.body_type == "text/plain" else html_to_text(details.body)
    title = title_text(details.title)
    publisher = one_line(details.publisher, limit=200) or None if details.publisher else None
    if publisher and title.endswith(f" - {publisher}"):
        title = title[: -len(publisher) - 3].rstrip()
    if not title:
        title = one_line(text, limit=120)
    dated = (read_date(details.date, fetched_at=fetched_at, local=local, parsed=details.date_parsed,
                       reader=details.read_date) if details.date else None)
    key = key or content_hash(title, text)
    return Item(key=key, title=title, text=text, link=link, published=dated or fetched_at,
                identity=content_identity(key, title, dated, text),
                guid=guid, author=one_line(details.author, limit=200) or None,
                summary_html=(details.summary or details.body)[:MAX_SUMMARY_HTML] or None,
                publisher=publisher, language=language or _language(details.title_language))


def _guid(entry: Entry) -> str | None:
    guid = one_line(entry.id, limit=MAX_TITLE)
    return guid or None


def _language(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    tag = value.strip().lower().replace("_", "-")
    return tag if _LANGUAGE.match(tag) else None


def _header_map(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _bozo_line(result: Mapping[str, Any]) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if exc is None:
        return "ill-formed document"
    if type(exc).__name__ == "SAXParseException":
        # An operator wants to know where the XML breaks, not the name of Python's exception class.
        line, column = exc.getLineNumber(), exc.getColumnNumber()
        return one_line(f"not well-formed XML at line {line}, column {column}: {exc.getMessage()}", limit=300)
    return one_line(f"{type(exc).__name__}: {exc}", limit=300)
