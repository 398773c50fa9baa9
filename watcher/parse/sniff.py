"""What a document is before feedparser sees it: where its root element starts, and whether it is a web page."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from watcher.errors import ParseError

# The prolog: XML declaration, processing instructions, comments, and a DOCTYPE with its internal subset.
_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(r"\s*<([A-Za-z_][\w:.-]*)")
_HTML_ROOTS = frozenset({"html", "head", "body"})
_CHALLENGE = re.compile(r"cf-browser-verification|challenge-platform|cf_chl_|cf-challenge|Just a moment\.\.\."
                        r"|Attention Required! \| Cloudflare|DDoS-Guard|ddos-guard|captcha", re.IGNORECASE)
_ALTERNATE = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def root_element(text: str) -> tuple[int, str | None]:
    """The offset where the root element starts and its name (None when there is no element at all)."""
    position = 0
    while position < len(text) and (match := _PROLOG_ITEM.match(text, position)):
        if match.end() == position:
            break
        position = match.end()
    root = _ROOT.match(text, position)
    return (root.start(1) - 1, root.group(1)) if root else (position, None)


def without_doctype(text: str, root_start: int) -> str:
    """The document without its DOCTYPE: no entity is defined, so none can be expanded or fetched.

    Only a DOCTYPE that is an item of the prolog is cut, from where it starts to the root element: a comment
    before it may quote "<!DOCTYPE" and is kept whole.
    """
    if "<!" not in text[:root_start]:
        return text
    position = 0
    while position < root_start and (match := _PROLOG_ITEM.match(text, position)) and match.end() > position:
        item = match.group().lstrip()
        if item[:9].upper() == "<!DOCTYPE":
            return text[: match.end() - len(item)] + text[root_start:]
        position = match.end()
    return text


def refuse_web_page(text: str, root: str | None, *, url: str) -> None:
    """Raise ParseError when the document is an HTML page (a site's page, a block or a bot challenge)."""
    head = text[:4096].lstrip().lower()
    if (root is None or root.lower() not in _HTML_ROOTS) and not head.startswith("<!doctype html"):
        return
    if _CHALLENGE.search(text[:200_000]):
        raise ParseError(f"{url} is an HTML page, not a feed: a bot challenge or block page",
                         hint="the site refuses automated clients; try a browser User-Agent, a longer interval,"
                              " or reach the outlet through a news search")
    feed = discovered_feed(text, base=url)
    hint = (f"the page names a feed at {feed}" if feed
            else "the URL is a web page; look for the feed URL in its <link rel=\"alternate\"> or on the site")
    raise ParseError(f"{url} is an HTML page, not a feed", hint=hint)


def discovered_feed(text: str, *, base: str) -> str | None:
    """The first RSS/Atom feed an HTML page announces with <link rel="alternate">, made absolute."""
    for tag in _ALTERNATE.findall(text[:500_000]):
        attributes: dict[str, str] = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTRIBUTE.finditer(tag)
        }
        kind = attributes.get("type", "").lower()
        if "alternate" in attributes.get("rel", "").lower() and ("rss" in kind or "atom" in kind):
            href = attributes.get("href", "").strip()
            if href:
                return urljoin(base, href)
    return None
