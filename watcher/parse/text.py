"""HTML to the plain text the matcher reads, and one-line titles safe for a mail subject."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MAX_TITLE = 1_000
MAX_TEXT = 100_000
# Markup beyond this is not parsed, so a hostile item costs bounded time; real items are far smaller.
MAX_HTML_INPUT = 1_000_000
_SLICE = 65_536
# What _strip_tags keeps of text without markup: whole slices until more than MAX_TEXT was read.
_PLAIN_READ = min(MAX_HTML_INPUT, (MAX_TEXT // _SLICE + 1) * _SLICE)

_DROPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
                      "head", "title", "select", "textarea"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
})
# Invisible or dangerous code points: C0/C1 controls (not tab/newline), soft hyphen (it splits names),
# zero-width space, direction overrides (they disguise a subject line), BOM.  ZWNJ/ZWJ stay: scripts need them.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_LEFTOVER_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# Tags HTMLParser reads one way only (quoted attribute values without angle brackets, no comments, no
# bare "<"): markup made of these and text is split by this pattern instead, with the same result.
_W = r"[ \t\n\r\f]"
_SIMPLE_TAG = re.compile(rf"""<(/?)([A-Za-z][A-Za-z0-9]*)(?:{_W}+[A-Za-z_:][A-Za-z0-9_:.-]*"""
                         rf"""(?:{_W}*={_W}*(?:"[^"<>]*"|'[^'<>]*'))?)*{_W}*(/?)>""")
_LEFTOVER_TAG = re.compile(r"</?(?:p|br|div|span|a|b|i|em|strong|img|li|ul|ol|h[1-6]|font|table|tr|td|blockquote"
                           r"|figure|figcaption|iframe|script|style)\b[^<>]{0,2000}>", re.IGNORECASE)


class _TextCollector(HTMLParser):
    """Collects character data outside dropped elements; block boundaries become newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping and self.size <= MAX_TEXT:
            self.parts.append(data)
            self.size += len(data)


def _strip_tags(markup: str) -> str:
    collector = _TextCollector()
    # Fed in slices so parsing stops once there is more text than will be kept (HTMLParser is pure Python).
    for start in range(0, min(len(markup), MAX_HTML_INPUT), _SLICE):
        collector.feed(markup[start:start + _SLICE])
        if collector.size > MAX_TEXT:
            break
    collector.close()
    return "".join(collector.parts)


def _split_simple(markup: str) -> str | None:
    """What _strip_tags gives for markup of simple tags and text, or None when the markup is not that simple.

    HTMLParser unescapes each run of text between two tags as one piece; one feed() call (no slice
    boundary) and no dropped element keep every run whole and kept.
    """
    if len(markup) > _SLICE:
        return None
    parts: list[str] = []
    position = 0
    for match in _SIMPLE_TAG.finditer(markup):
        if match.start() > position:
            parts.append(markup[position:match.start()])
        position = match.end()
        tag = match.group(2).lower()
        if tag in _DROPPED:
            return None
        if tag in _BLOCKS:
            parts.append("\n")
    parts.append(markup[position:])
    text = "".join(parts)
    if "<" in text:
        return None  # a comment, a bare "<" or a tag HTMLParser may read otherwise
    if "&" not in text:
        return text
    return "".join(html.unescape(part) if "&" in part else part for part in parts)


def _strip(markup: str) -> str:
    simple = _split_simple(markup)
    return _strip_tags(markup) if simple is None else simple


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, blocks on their own lines."""
    if "<" not in html_text and "&" not in html_text:
        # No markup and no entity: the HTML parser would hand the slices it reads back as they are.
        return normalise_text(html_text[:_PLAIN_READ])
    text = _strip(html_text)
    # Descriptions escaped twice (`&amp;nbsp;`, `&amp;lt;p&amp;gt;`) still hold entities or markup here.
    if "&" in text and _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    if "<" in text and _LEFTOVER_TAG.search(text):
        text = _strip(text)
    return normalise_text(text)


def plain_to_text(text: str) -> str:
    """Text declared plain (Atom type="text"): no tags to strip, but entities escaped twice are decoded."""
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    return normalise_text(text)


def normalise_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """Drop invisible characters, collapse spaces, keep one newline between lines, cut at ``limit``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    # Every invisible character and every whitespace but the space is unprintable: lines that are all
    # printable, without double spaces, only need their ends trimmed and the empty ones dropped.
    if "  " not in text and all(line.isprintable() for line in lines):
        return "\n".join(kept for line in lines if (kept := line.strip(" ")))[:limit].rstrip()
    # Whitespace first: some controls (vertical tab, U+2028) separate words and must leave a space.
    text = _HSPACE.sub(" ", _INVISIBLE.sub("", _HSPACE.sub(" ", text)))
    text = _NEWLINES.sub("\n", text).strip()
    return text[:limit].rstrip()


def one_line(text: str, *, limit: int = MAX_TITLE) -> str:
    """Text on one line (every kind of line break and control character removed), at most ``limit`` chars."""
    text = text[: limit * 4]
    if not text.isprintable() and _INVISIBLE.search(text):
        words = (_INVISIBLE.sub("", word) for word in text.split())
        text = " ".join(word for word in words if word)
    else:
        text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def title_text(raw: str) -> str:
    """A title as plain one-line text: tags stripped, entities decoded (also when escaped twice)."""
    raw = raw[: MAX_TITLE * 20]
    if "<" in raw or "&" in raw:
        raw = html_to_text(raw)
    return one_line(raw)
