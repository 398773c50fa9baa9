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


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, blocks on their own lines."""
    if "<" not in html_text and "&" not in html_text:
        # No markup and no entity: the HTML parser would hand the slices it reads back as they are.
        return normalise_text(html_text[:_PLAIN_READ])
    text = _strip_tags(html_text)
    # Descriptions escaped twice (`&amp;nbsp;`, `&amp;lt;p&amp;gt;`) still hold entities or markup here.
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    if _LEFTOVER_TAG.search(text):
        text = _strip_tags(text)
    return normalise_text(text)


def plain_to_text(text: str) -> str:
    """Text declared plain (Atom type="text"): no tags to strip, but entities escaped twice are decoded."""
    if _LEFTOVER_ENTITY.search(text):
        text = html.unescape(text)
    return normalise_text(text)


def normalise_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """Drop invisible characters, collapse spaces, keep one newline between lines, cut at ``limit``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Whitespace first: some controls (vertical tab, U+2028) separate words and must leave a space.
    text = _HSPACE.sub(" ", _INVISIBLE.sub("", _HSPACE.sub(" ", text)))
    text = _NEWLINES.sub("\n", text).strip()
    return text[:limit].rstrip()


def one_line(text: str, *, limit: int = MAX_TITLE) -> str:
    """Text on one line (every kind of line break and control character removed), at most ``limit`` chars."""
    words = (_INVISIBLE.sub("", word) for word in text[: limit * 4].split())
    text = " ".join(word for word in words if word)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def title_text(raw: str) -> str:
    """A title as plain one-line text: tags stripped, entities decoded (also when escaped twice)."""
    raw = raw[: MAX_TITLE * 20]
    if "<" in raw or "&" in raw:
        raw = html_to_text(raw)
    return one_line(raw)
