"""HTML to the plain text the matcher reads, and one-line titles safe for a mail subject.

HTML is read as a browser reads it: an HTML5 parser (lexbor, through selectolax) decides what is text, what
an unclosed or void element (``<embed>``, ``<script>`` without its end tag) does to the text after it, and
what references mean; the text of elements a reader never sees (scripts, styles, frames' fallback) is
dropped, and every block tag written in the markup starts a new line.

Speed layer: ``_split_simple`` reads markup made only of plain tags (``_SIMPLE_TAGS``, attributes quoted,
no comment, no bare "<") with one regular expression instead of the parser. Measured on the titles and
bodies of both corpora (bench/parse_speed.py's machine, 2 cores): 7.5 us against 11.5 us per value through
the parser, on the 95% of values with markup that it takes. tests/test_text_fast.py holds it equal to the
parser on both corpora and on generated markup; deleting it changes no result.
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

from watcher.parse.charrefs import fix_references

MAX_TITLE = 1_000
MAX_TEXT = 100_000
# Markup beyond this is not parsed, so a hostile item costs bounded time; real items are far smaller.
MAX_HTML_INPUT = 1_000_000
_SIMPLE_MAX = 65_536  # longer markup goes to the parser (the shortcut's one pass holds the whole text)

# Elements whose content a reader never sees as text: code, styles, the fallback of frames and scripts
# (read as raw text by HTML5), foreign content, form controls' values, a document's own title.
_DROPPED = ("script", "style", "template", "noscript", "iframe", "noembed", "noframes", "svg", "math", "head",
            "title", "select", "textarea")
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dialog", "dir", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "listing", "main", "menu", "nav", "ol", "p", "pre", "search", "section", "summary",
    "table", "td", "th", "tr", "ul",
})
# A block tag as the HTML5 tokenizer reads one: "<" or "</", the name in any case, then space, "/" or ">".
_BLOCK_NAMES = "|".join(sorted(_BLOCKS, key=len, reverse=True))
_BLOCK_TAG = re.compile(rf"<(?=/?(?:{_BLOCK_NAMES})[\t\n\f\r />])", re.IGNORECASE)
# Tags the HTML5 tree builder never moves text across or hides text behind (no table, form control, raw
# text or foreign element): markup of these and text means the same to the parser and to _split_simple.
_SIMPLE_TAGS = (_BLOCKS - {"caption", "table", "td", "th", "tr"}) | frozenset({
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img",
    "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u",
    "var", "wbr",
})
# Invisible or dangerous code points: C0/C1 controls (not tab/newline), soft hyphen (it splits names),
# zero-width space, direction overrides (they disguise a subject line), BOM, lone surrogates (no text
# encoding can hold them).  ZWNJ/ZWJ stay: scripts need them.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_LEFTOVER_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_W = r"[ \t\n\r\f]"
_SIMPLE_TAG = re.compile(rf"""<(/?)([A-Za-z][A-Za-z0-9]*)(?:{_W}+[A-Za-z_:][A-Za-z0-9_:.-]*"""
                         rf"""(?:{_W}*={_W}*(?:"[^"<>]*"|'[^'<>]*'))?)*{_W}*(/?)>""")
_LEFTOVER_TAG = re.compile(r"</?(?:p|br|div|span|a|b|i|em|strong|img|li|ul|ol|h[1-6]|font|table|tr|td|blockquote"
                           r"|figure|figcaption|iframe|script|style)\b[^<>]{0,2000}>", re.IGNORECASE)


def _strip_tags(markup: str) -> str:
    """The text of an HTML fragment as an HTML5 parser builds it, without what a reader never sees, and a
    line break before every block tag (written as a newline the parser keeps as text)."""
    tree = LexborHTMLParser(_BLOCK_TAG.sub("\n<", fix_references(markup[:MAX_HTML_INPUT])), is_fragment=True)
    tree.strip_tags(list(_DROPPED))
    return tree.text()


def _split_simple(markup: str) -> str | None:
    """What _strip_tags gives for markup of simple tags and text, or None when the markup is not that simple.

    The parser unescapes each run of text between two tags as one piece, by the same HTML5 rules as
    html.unescape (after charrefs' fixes); a block tag's line break is the same newline in both.
    """
    if len(markup) > _SIMPLE_MAX:
        return None
    parts: list[str] = []
    position = 0
    for match in _SIMPLE_TAG.finditer(markup):
        if match.start() > position:
            parts.append(markup[position:match.start()])
        position = match.end()
        tag = match.group(2).lower()
        if tag not in _SIMPLE_TAGS:
            return None
        if tag in _BLOCKS:
            parts.append("\n")
    parts.append(markup[position:])
    text = "".join(parts)
    if "<" in text:
        return None  # a comment, a bare "<" or a tag the parser may read otherwise
    if "&" not in text:
        return text
    return "".join(_unescape(part) if "&" in part else part for part in parts)


def _unescape(text: str) -> str:
    """References decoded by HTML5's rules, a surrogate pair (``&#55357;&#56832;``) as the one character it
    encodes (html.unescape would make each half U+FFFD)."""
    return html.unescape(fix_references(text))


def _strip(markup: str) -> str:
    simple = _split_simple(markup)
    return _strip_tags(markup) if simple is None else simple


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML fragment: tags stripped, entities decoded, blocks on their own lines."""
    if "<" not in html_text and "&" not in html_text:
        # No markup and no reference: the parser would hand the text back as it is.
        return normalise_text(html_text[:MAX_HTML_INPUT])
    text = _strip(html_text)
    # Descriptions escaped twice (`&amp;nbsp;`, `&amp;lt;p&amp;gt;`) still hold entities or markup here.
    if "&" in text and _LEFTOVER_ENTITY.search(text):
        text = _unescape(text)
    if "<" in text and _LEFTOVER_TAG.search(text):
        text = _strip(text)
    return normalise_text(text)


def plain_to_text(text: str) -> str:
    """Text declared plain (Atom type="text"): no tags to strip, but entities escaped twice are decoded."""
    if _LEFTOVER_ENTITY.search(text):
        text = _unescape(text)
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


def storable(text: str) -> str:
    """``text`` without what no database text column holds: NUL (PostgreSQL refuses it) and lone surrogates
    (no encoding has them)."""
    return _UNSTORABLE.sub("", text)


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
