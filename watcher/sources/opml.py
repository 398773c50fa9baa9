"""OPML import and export of sources. Parsed with the standard library after the DOCTYPE is cut (no entity is
defined, so none can be expanded or fetched); a nested outline's title becomes a tag of the feeds under it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from watcher.errors import ParseError
from watcher.parse.encoding import decode_document
from watcher.parse.sniff import root_element, without_doctype

MAX_OPML = 5_000_000


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its name, feed URL, homepage and the titles of the outlines around it."""

    name: str
    url: str
    site: str | None = None
    tags: tuple[str, ...] = ()


def parse_opml(content: bytes) -> list[OpmlFeed]:
    """The feed outlines (those with an http(s) ``xmlUrl``) of an OPML document, names made unique."""
    if len(content) > MAX_OPML:
        raise ParseError(f"the OPML file is over {MAX_OPML} bytes")
    text = decode_document(content, http_charset=None).text.lstrip()
    start, root = root_element(text)
    if root is None or root.lower() != "opml":
        raise ParseError("not an OPML document: its root element is " + (f"<{root}>" if root else "missing"))
    try:
        tree = ET.fromstring(without_doctype(text, start))
    except ET.ParseError as e:
        raise ParseError(f"the OPML is not well-formed XML: {e}") from None
    body = tree.find("body")
    feeds: list[OpmlFeed] = []
    if body is not None:
        _walk(body, (), feeds)
    return _unique_names(feeds)


def _walk(node: ET.Element, tags: tuple[str, ...], out: list[OpmlFeed]) -> None:
    for outline in node.findall("outline"):
        title = " ".join((outline.get("title") or outline.get("text") or "").split())
        url = (outline.get("xmlUrl") or "").strip()
        if re.match(r"^https?://\S+$", url):
            site = (outline.get("htmlUrl") or "").strip() or None
            out.append(OpmlFeed(name=title or url, url=url, site=site, tags=tags))
        else:
            _walk(outline, tags + ((_tag(title),) if _tag(title) else ()), out)


def _tag(title: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", title.lower()).strip("-")


def _unique_names(feeds: list[OpmlFeed]) -> list[OpmlFeed]:
    seen: dict[str, int] = {}
    out = []
    for feed in feeds:
        count = seen[feed.name] = seen.get(feed.name, 0) + 1
        out.append(feed if count == 1 else OpmlFeed(f"{feed.name} ({count})", feed.url, feed.site, feed.tags))
    return out


def yaml_entries(feeds: Sequence[OpmlFeed], existing: Sequence[str] = ()) -> str:
    """Source entries to paste under ``sources:``; feeds whose URL is in ``existing`` are left out."""
    lines = []
    for feed in feeds:
        if feed.url in existing:
            continue
        lines.append(f"  - name: {_yaml_string(feed.name)}")
        lines.append(f"    url: {_yaml_string(feed.url)}")
        if feed.tags:
            lines.append(f"    tags: [{', '.join(_yaml_string(t) for t in feed.tags)}]")
    return "\n".join(lines) + ("\n" if lines else "")


def _yaml_string(text: str) -> str:
    # Double-quoted YAML is a superset of JSON strings: escaping as JSON is always valid YAML.
    return json.dumps(text, ensure_ascii=False)


def to_opml(feeds: Sequence[OpmlFeed], title: str = "watcher sources") -> str:
    """An OPML 2.0 document listing ``feeds``."""
    body = []
    for feed in feeds:
        site = f" htmlUrl={quoteattr(feed.site)}" if feed.site else ""
        body.append(f"    <outline type=\"rss\" text={quoteattr(feed.name)} title={quoteattr(feed.name)} "
                    f"xmlUrl={quoteattr(feed.url)}{site}/>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n"
            f"  <head><title>{_escape(title)}</title></head>\n  <body>\n" + "\n".join(body)
            + ("\n" if body else "") + "  </body>\n</opml>\n")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
