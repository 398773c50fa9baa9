"""Bytes to text the way a browser would: BOM, then valid UTF-8, then the declared charsets, then detection.

Real feeds disagree with themselves (windows-1251 without a declaration, Latin-1 labelled UTF-8, a few
bad bytes in otherwise good UTF-8), so a label is trusted only when the bytes decode under it, and one
bad byte never costs the whole document. What is sure is decided here without a detector: a byte-order
mark, UTF-16/32 told by the NULs of the document's first characters (XML 1.0, appendix F), a label the
bytes decode under, valid UTF-8, UTF-8 with a few stray bytes. The rest (KOI8-R, EUC-JP, Shift_JIS, GB2312,
EUC-KR, the windows code pages, with no label or a wrong one) is chardet's to tell, among the encodings
of today's web: no single-byte guess of ours was sure between KOI8-R and windows-1251 or Latin-1 and
Latin-2.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

from watcher.errors import ParseError

MAX_DECOMPRESSED = 64 * 1024 * 1024  # a gzip bomb stops here

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(r"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
# The first four bytes of a document in UTF-32 or UTF-16 without a BOM: its first characters are ASCII
# ("<", whitespace), so NULs sit where the encoding puts the high bytes of each code unit.
_WIDE_START = ((re.compile(rb"\0\0\0[^\0]"), "utf-32-be"), (re.compile(rb"[^\0]\0\0\0"), "utf-32-le"),
               (re.compile(rb"\0[^\0]\0[^\0]"), "utf-16-be"), (re.compile(rb"[^\0]\0[^\0]\0"), "utf-16-le"))
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
# WHATWG maps these labels to a superset; feeds labelled Latin-1 routinely carry windows-1252 quotes.
_LABEL_ALIASES = {
    "iso-8859-1": "windows-1252", "iso8859-1": "windows-1252", "latin1": "windows-1252",
    "latin-1": "windows-1252", "l1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252",
    "iso-8859-9": "windows-1254", "latin5": "windows-1254", "tis-620": "cp874", "gb2312": "gb18030",
    "gbk": "gb18030", "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932",
    "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}
_UTF_WIDE = ("utf-16", "utf-32")
_DETECT_BYTES = 65_536  # chardet reads this much; feeds repeat their language item after item
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A document as text, the encoding used and, when labels and bytes disagreed, what was wrong."""

    text: str
    encoding: str
    problem: str | None = None


def gunzip(content: bytes, *, limit: int = MAX_DECOMPRESSED) -> bytes:
    """Decompress a gzip body (magic 1f 8b) handed over as content, refusing more than ``limit`` bytes."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, limit)
    except zlib.error as exc:
        raise ParseError(f"the body is gzip-compressed but corrupt: {exc}",
                         hint="the server may have sent a broken or truncated response") from exc
    if decompressor.unconsumed_tail:
        raise ParseError(f"the gzip-compressed body expands beyond {limit // (1024 * 1024)} MB",
                         hint="this is not a news feed (or is a decompression bomb)")
    if not decompressor.eof and not data:
        raise ParseError("the body is gzip-compressed but corrupt: it ends before any data",
                         hint="the server may have sent a broken or truncated response")
    return data  # a truncated stream still yields its beginning: the items in it are worth having


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, or None."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else None


def decode_document(content: bytes, *, http_charset: str | None = None) -> Decoded:
    """Decode a feed document; never raises on bad bytes (they become U+FFFD)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return Decoded(content[len(bom):].decode(encoding, "replace"), encoding)
    wide = _wide_encoding(content[:4])
    if wide is not None:
        # The byte order is in the bytes; a label ("utf-16") names the family at most.
        return Decoded(content.decode(wide, "replace"), wide)
    declared = _xml_declared(content)
    labels = [name for name in (_codec(http_charset), _codec(declared)) if name]
    for name in labels:
        if name.startswith(_UTF_WIDE):
            text = _strict(content, name)
            if text is not None:
                return Decoded(text, name)
    text = _strict(content, "utf-8")
    if text is not None:
        # Valid UTF-8 with non-ASCII bytes is practically never a legacy encoding, whatever the label says.
        wrong = [name for name in labels if name != "utf-8" and not content.isascii()]
        problem = f"declared as {wrong[0]}, but the bytes are UTF-8" if wrong else None
        return Decoded(text, "utf-8", problem)
    for name in labels:
        if name != "utf-8":
            text = _strict(content, name)
            if text is not None:
                return Decoded(text, name)
    label = labels[0] if labels else "no charset"
    if _mostly_utf8(content):
        return Decoded(content.decode("utf-8", "replace"), "utf-8",
                       f"{_said(label)}, but holds invalid UTF-8 bytes (replaced)")
    detected = _detect(content)
    valid_in = "UTF-8" if label in ("no charset", "utf-8") else f"UTF-8 or {label}"
    return Decoded(content.decode(detected, "replace"), detected,
                   f"{_said(label)}, but the bytes are not valid {valid_in}; decoded as {detected}")


def _wide_encoding(start: bytes) -> str | None:
    """UTF-32 or UTF-16 and its byte order, told by where the NULs of a document's first characters are."""
    if b"\0" not in start:
        return None
    return next((name for pattern, name in _WIDE_START if pattern.fullmatch(start)), None)


def _xml_declared(content: bytes) -> str | None:
    match = _XML_DECL_ENCODING.match(content[:300].decode("latin-1"))
    return match.group(1) if match else None


def _detect(content: bytes) -> str:
    """The encoding chardet finds for bytes that are not UTF-8, among those of today's web (a decodable one)."""
    import chardet  # here: only a document that is neither UTF-8 nor in its declared charset pays for it

    found = chardet.detect(content, max_bytes=_DETECT_BYTES, encoding_era=chardet.EncodingEra.MODERN_WEB,
                           prefer_superset=True, compat_names=False, no_match_encoding="cp1252")
    return _codec(found["encoding"]) or "windows-1252"


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown or useless."""
    if not label:
        return None
    label = label.strip().lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name == "utf-8-sig":
        return "utf-8"
    return f"windows-{name[2:]}" if name.startswith("cp125") else name  # the names browsers and servers use


def _strict(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(content: bytes) -> bool:
    """True when valid multi-byte UTF-8 sequences outnumber invalid bytes (stray bad bytes in UTF-8)."""
    sequences = _UTF8_SEQUENCE.findall(content)
    bad = len(_HIGH_BYTE.findall(content)) - sum(map(len, sequences))
    # In legacy-encoded text valid sequences occur only by chance, so even a mediocre ratio means UTF-8.
    return len(sequences) > 0 and bad * 2 < len(sequences)


def _said(label: str) -> str:
    return "no charset declared" if label == "no charset" else f"declared as {label}"
