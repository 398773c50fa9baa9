"""Spelling keys: every script and transliteration of a word folds to one ASCII key.

Speed layers: the single-byte fold (``fold_bytes``: a code page of letters.py, then ``bytes.translate``) and,
for the rest (Armenian, Azerbaijani), a memo of the chunks between spaces (``_Folds``): ~48 µs an item where
``str.translate`` of the whole text takes ~84 µs (the corpus items without a code page). Without them every
result is the same: tests/test_match_normalize.py holds ``fold`` equal to ``tokens``, which translates each
word through ``key_table``.

``fold(text)`` is the matcher's hot path: a few length-preserving rewrites (links and tags
blanked, Armenian and Azerbaijani spellings that need a neighbour) and then a map of each character
to its key letters (``bytes.translate`` through a single-byte code page for nearly all news, a memo of
the chunks between spaces for the rest). Because each character maps on its own, an offset in the
folded text leads back to the original character (``offsets.Offsets``), and the keys of single words
(``key``, ``tokens``) are always the words of ``fold``.

The letter map merges what transliteration systems disagree on: h is dropped (Sahakyan, Saakyan;
kh, gh, sh, zh, ch, ph, th lose it too), g/k/q are one letter (Ghukasyan, Gukasyan, Qarabağ), y and
j are i (Pashinyan, Pashinian, Pashinjan), w is v, x is ks. What a single character cannot decide
(h written х, doubled letters, word-initial ye, j written дж) is left to spelling variants of the
watchlist entries (see compile.py). The letter map and the code pages are in letters.py.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from watcher.match.letters import CODECS, LETTERS, NO_CODE_PAGE, TOKEN_CHARS, TOKEN_RE, Codec, ascii_table, codec, key_table

# A name inside a URL, an e-mail address or an HTML tag is not a mention: such spans are blanked
# (same length, so offsets survive).
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
# A top-level domain in any case, spelt out letter by letter (i, k and s also as re.IGNORECASE reads them:
# ı İ, K, ſ): without the flag the engine jumps from one "." to the next in C instead of trying each position.
_CASES = {"i": "[iIıİ]", "k": "[kK\u212a]", "s": "[sS\u017f]"}
_TLD = r"\.(?:{})(?![\w])".format("|".join(
    "".join(_CASES.get(c, f"[{c}{c.upper()}]") for c in tld)
    for tld in ("com", "org", "net", "ru", "am", "az", "info", "io", "gov", "edu", "ge", "ua", "by", "kz", "uk", "de",
                "fr", "news", "tv")))
_TLD_RE = re.compile(_TLD)
_AT_RE = re.compile(r"@\w")
# Case-insensitive ``(?:https?://|ftp://|www\.)`` spelt so that the first character is a class: the
# regex engine then skips to the candidates in C instead of trying every position (3x faster).
_URL_RE = re.compile(r"[hHfFwW](?:(?<=[hH])[tT][tT][pP][sS\u017f]?://|(?<=[fF])[tT][pP]://|(?<=[wW])[wW][wW]\.)"
                     r"[^\s<>\"']+")

# Azerbaijani Latin: a word holding one of these letters reads c as j and x as kh (Cəfərov,
# Джафаров; Xankəndi, Ханкенди). Same length: x becomes q, which maps like k.
_AZ_LETTER_RE = re.compile(r"[əƏğĞıİ]")
_AZ_WORD_RE = re.compile(rf"[{TOKEN_CHARS}]*[əƏğĞıİ][{TOKEN_CHARS}]*")
_AZ_SWAP = str.maketrans("cCxX", "jJqQ")

# Armenian: ու is one vowel (u); a word-initial ո reads vo, ե reads ye and և reads yev. The classical
# (Western and diaspora) orthography writes -յան as -եան, յու as իւ and a word-initial h as յ before a
# vowel (Սարգսեան, Հարութիւնեան, Յովհաննէս): ե before ա reads y, ւ after ի reads u (after ե it is the v
# of Լեւոն) and such a յ is an h. Private characters keep the length (U+E000.. map to those sounds, U+200B to nothing).
_ARMENIAN_RE = re.compile(r"[\u0531-\u0587]")
_ARM_RULES = (
    (re.compile(r"[ոՈ][ւՒ]"), "u\u200b"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Ոո]"), "\ue000"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Եե]"), "\ue001"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])և"), "\ue002"),
    (re.compile(r"[եԵ](?=[աԱ])"), "\ue003"),
    (re.compile(r"(?<=[իԻ])[ւՒ]"), "\ue005"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Յյ](?=[ոՈաԱ])"), "\ue004"),
)
_ASTRAL_RE = re.compile(r"[\U00010000-\U0010ffff]")

class Prepared(NamedTuple):
    """A text after ``prepare``, with its bytes when a single-byte codec can spell it."""

    text: str
    codec: Codec | None
    data: bytes


def prepare(text: str) -> Prepared:
    """Length-preserving rewrites before the letter map: links, tags, Armenian and Azerbaijani words."""
    return spelled(masked(text))


def masked(text: str) -> str:
    """``text`` with HTML tags, URLs, e-mail addresses and domain names blanked (same length).

    Blanking never starts a word (each blanked span ends before a character that is no letter), so
    a text without a candidate hit keeps none once blanked: callers may look before they blank.
    """
    if "<" in text:
        text = _TAG_RE.sub(_blank, text)
    if "@" in text or "://" in text or "www." in text or _TLD_RE.search(text):
        text = _mask_links(text)
    return text


def may_blank(text: str) -> bool:
    """Whether ``masked`` could change ``text``, told without blanking anything."""
    return "<" in text or "@" in text or "://" in text or "www." in text or _TLD_RE.search(text) is not None


def masking_may_add(prepared: Prepared) -> bool:
    """Whether blanking could change a key outside the blanked spans: an Azerbaijani word reads c and x
    by its other letters, and a domain name glued to it by a soft hyphen or an accent takes some away."""
    return prepared.codec is None and _AZ_LETTER_RE.search(prepared.text) is not None


def spelled(text: str) -> Prepared:
    """The rewrites of ``prepare`` after blanking: Armenian and Azerbaijani words, the single-byte bytes."""
    # tuple.__new__: the NamedTuple constructor costs three times as much, on the path of every item
    if text.isascii():  # most English news: ASCII is cp1252 byte for byte, and encodes by copying
        return tuple.__new__(Prepared, (text, codec(CODECS[0]), text.encode("ascii")))
    # Russian first when the text has its commonest letter: a failed try costs an exception.
    for name in (CODECS[1:] if "о" in text else CODECS):
        page = codec(name)
        try:  # a text these spell has no Armenian, Azerbaijani or astral letters
            return tuple.__new__(Prepared, (text, page, page.encode(text)))
        except UnicodeEncodeError as error:
            if NO_CODE_PAGE.match(error.object, error.start):
                break
    if _AZ_LETTER_RE.search(text):
        text = _AZ_WORD_RE.sub(lambda m: m.group().translate(_AZ_SWAP), text)
    if _ARMENIAN_RE.search(text):
        for pattern, repl in _ARM_RULES:
            text = pattern.sub(repl, text)
    if _ASTRAL_RE.search(text):  # outside the table: treated as separators
        text = _ASTRAL_RE.sub(" ", text)
    return Prepared(text, None, b"")


def parts(prepared: Prepared, cut: int) -> tuple[Prepared, Prepared]:
    """``text[:cut]`` and ``text[cut + 1:]`` spelt as the whole was (its code page, or its rewrites), when
    ``text[cut]`` separates them (a newline): folded, they give the whole's fold in two."""
    if prepared.codec is None:  # the rewrites keep the length and never reach across a separator
        return Prepared(prepared.text[:cut], None, b""), Prepared(prepared.text[cut + 1:], None, b"")
    return (Prepared(prepared.text[:cut], prepared.codec, prepared.data[:cut]),
            Prepared(prepared.text[cut + 1:], prepared.codec, prepared.data[cut + 1:]))


def _mask_links(text: str) -> str:
    # Anchored on the cheap parts (scheme, @, top-level domain), widened by hand: one regex over the
    # whole text with a leading character class costs a hundred times more.
    spans = [m.span() for m in _URL_RE.finditer(text)] if ("://" in text or "www." in text) else []
    anchors = [*_TLD_RE.finditer(text), *(_AT_RE.finditer(text) if "@" in text else ())]
    for m in anchors:
        start = m.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._-+@"):
            start -= 1
        end = m.end()
        while end < len(text) and not text[end].isspace() and text[end] not in "<>\"'),;":
            end += 1
        spans.append((start, end - 1 if text[end - 1] in ".:!?" else end))
    if not spans:
        return text
    # one copy of the text, the spans (which may overlap) blanked in order
    pieces: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if end > done:
            start = max(start, done)
            pieces += (text[done:start], " " * (end - start))
            done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


class _Folds(dict[str, str]):
    """Memo of the keys of one chunk of text between spaces. News repeats its words, so most chunks
    are folded once per process. A pure function's cache, bounded; dict reads and writes are atomic.
    """

    def __missing__(self, chunk: str) -> str:
        value = chunk.translate(key_table()) + " "
        if len(self) >= 200_000:
            self.clear()
        self[chunk] = value
        return value


_FOLDS = _Folds()


def fold(text: str) -> str:
    """The whole text as its keys, words separated by one or more spaces, padded with a space."""
    return fold_prepared(prepare(text))


def fold_prepared(prepared: Prepared) -> str:
    """``fold`` of a text already through ``prepare``."""
    if prepared.codec is not None:
        return fold_bytes(prepared).decode("ascii")
    # Armenian, Azerbaijani and the rest: str.translate costs 60 ns a character there, a memo
    # lookup per chunk between spaces is cheaper.
    return " " + "".join(map(_FOLDS.__getitem__, prepared.text.split()))


def fold_bytes(prepared: Prepared) -> bytes:
    """``fold_prepared`` as ASCII bytes, what the automaton reads (single-byte text never becomes a str)."""
    page = prepared.codec
    if page is None:
        return fold_prepared(prepared).encode("ascii")
    data = prepared.data.translate(page.keys, page.delete)
    if not data.isascii():
        present = data.translate(None, page.plain)  # one pass finds which longer keys occur
        for mark in set(present):
            data = data.replace(*page.longer[mark])
    return b" " + data + b" "


@lru_cache(maxsize=65536)
def key(word: str) -> str:
    """The spelling key of one word (empty for a word made only of ignorable marks)."""
    return prepare(word).text.translate(key_table()).replace(" ", "")


def spell(word: str) -> str:
    """The ASCII spelling of a word before the merges (compile time: spelling variants)."""
    return prepare(word).text.translate(ascii_table()).replace(" ", "")


def merge(ascii_word: str) -> str:
    """The key of an ASCII spelling."""
    return ascii_word.translate(LETTERS)


class Token(NamedTuple):
    """One word of an original text: its offsets and its key."""

    start: int
    end: int
    key: str


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with non-empty keys, in order, offsets into the original string."""
    table = key_table()
    found = [Token(m.start(), m.end(), m.group().translate(table)) for m in TOKEN_RE.finditer(prepare(text).text)]
    return [t for t in found if t.key]


def script(word: str) -> str:
    """The script of a word: 'cyrillic', 'armenian', 'azeri' or 'latin'."""
    for char in word:
        if "\u0400" <= char <= "\u052f":
            return "cyrillic"
        if "\u0531" <= char <= "\u0587":
            return "armenian"
        if char in "əƏğĞıİ":
            return "azeri"
    return "latin"
