"""Spelling keys: every script and transliteration of a word folds to one ASCII key.

``fold(text)`` turns a whole text into ``" key key key "`` (the matcher's hot path: a split and
one memo lookup per chunk between spaces); ``tokens(text)`` gives the same keys one word at a time with their
offsets in the original text (used only for items that matched). Every rule is local to one
word, so both always agree: ``fold(t) == render(tokens(t))``.

The key merges what transliteration systems disagree on: h dropped or doubled (Sahakyan,
Saakyan), kh/gh/g/k/q (Ghukasyan, Gukasyan, Qarabag), y/i/j between or after vowels (Pashinyan,
Pashinian, Paschinjan), -sky/-skiy/-skii, -yev/-iev/-ev, ts/c, doubled letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from anyascii import anyascii

# Characters inside a word that are not letters: combining accents (stress marks in Russian),
# soft hyphen and zero-width joiners, Armenian emphasis/question/exclamation marks (written on
# the stressed vowel, inside the word).
_IGNORABLE = "\u0300-\u036f\u0483-\u0489\u00ad\u200b-\u200d\u2060\ufeff\u055b\u055c\u055e\u055f"
TOKEN_CHARS = rf"\w{_IGNORABLE}"
TOKEN_RE = re.compile(rf"[{TOKEN_CHARS}]+")
_IGNORABLE_RE = re.compile(rf"[{_IGNORABLE}]")

# A name inside a URL, an e-mail address or an HTML tag is not a mention: such spans are blanked
# (same length, so offsets survive) before anything else. Tags may hold spaces, so they are masked
# in the whole text; links never do, so they are masked word by word.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_LINK_RE = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"']+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|ru|am|az|info|io|gov|edu|ge|ua|by|kz|uk|de|fr)(?:/[^\s<>\"']*)?(?![\w])",
    re.IGNORECASE,
)
CHUNK_RE = re.compile(r"\S+")
_FOLDS_LIMIT = 200_000

# Azerbaijani Latin: a word holding one of these letters reads c as j, x as kh, q as g.
_AZ_LETTER_RE = re.compile(r"[əƏğĞıİ]")
_AZ_WORD_RE = re.compile(rf"[{TOKEN_CHARS}]*[əƏğĞıİ][{TOKEN_CHARS}]*")
_AZ_TABLE = str.maketrans({"c": "j", "C": "J", "x": "kh", "X": "Kh", "ç": "ch", "Ç": "Ch"})

# Armenian: ու is one vowel (u); word-initial ո reads vo and ե reads ye; a word-final ը is the
# definite article and is dropped (it would otherwise block inflection matching).
_ARMENIAN_RE = re.compile(r"[\u0531-\u0587]")
_ARM_RULES = (
    (re.compile(r"[ՈՒ][ւՒ]|ու"), "u"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Ոո]"), "vo"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Եե]"), "ye"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])և"), "yev"),
    (re.compile(rf"ը(?![{TOKEN_CHARS}])"), ""),
)

_OVERRIDES = {"ə": "a", "Ə": "a", "ı": "i", "İ": "i", "Ռ": "r", "ռ": "r", "ը": "e", "Ը": "e", "ß": "ss",
              "ь": "", "Ь": "", "ъ": "", "Ъ": "", "ё": "e", "Ё": "e", "ў": "u"}

# Transliteration merges, in order: digraphs first, then single letters that spell the same sound
# in different systems (the lone h is dropped), then doubled letters.
_DIGRAPHS = tuple((a.encode(), b.encode()) for a, b in (
    ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "z"), ("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "c"),
    ("ph", "p"), ("th", "t"), ("tz", "c"), ("ts", "c"), ("x", "ks")))
# Bytes: after transliteration the text is ASCII, and bytes.translate/replace are many times faster.
_LETTERS = bytes.maketrans(b"wyjgq", b"viikk")
_DOUBLES = tuple((c.encode() * 2, c.encode()) for c in "abcdefiklmnoprstuvz")

class _Table(dict[int, str]):
    """Translate table: precomputed for the scripts we meet, computed on the fly for the rest."""

    def __missing__(self, code: int) -> str:
        return _map_char(chr(code))


def _map_char(char: str) -> str:
    if not TOKEN_RE.fullmatch(char):
        return " "
    if _IGNORABLE_RE.fullmatch(char):
        return ""
    if char in _OVERRIDES:
        return _OVERRIDES[char]
    out = anyascii(unicodedata.normalize("NFKC", char)).lower()
    return "".join(c for c in out if c.isalnum()) or ""


@lru_cache(maxsize=1)
def _table() -> _Table:
    table = _Table()
    for low, high in ((0, 0x600), (0x1E00, 0x2070), (0x2E00, 0x2E80), (0x3000, 0x3040), (0xFB00, 0xFB18),
                      (0xFE30, 0xFE70), (0xFF00, 0xFF70)):
        for code in range(low, high):
            table[code] = _map_char(chr(code))
    return table


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def mask_tags(text: str) -> str:
    """Blank HTML tags (same length, so offsets stay valid)."""
    return _TAG_RE.sub(_blank, text) if "<" in text else text


def mask_links(chunk: str) -> str:
    """Blank URLs, e-mail addresses and domain names in a chunk of text without spaces."""
    if "@" in chunk or "/" in chunk or "." in chunk:
        return _LINK_RE.sub(_blank, chunk)
    return chunk


def _prepare(text: str) -> str:
    """Script-specific rewrites that need more than one character of context (still within a word)."""
    if _AZ_LETTER_RE.search(text):
        text = _AZ_WORD_RE.sub(lambda m: m.group().translate(_AZ_TABLE), text)
    if _ARMENIAN_RE.search(text):
        for pattern, repl in _ARM_RULES:
            text = pattern.sub(repl, text)
    return text


def _chain(ascii_text: str) -> str:
    data = ascii_text.encode("ascii")
    for old, new in _DIGRAPHS:
        if old in data:
            data = data.replace(old, new)
    data = data.translate(_LETTERS, b"h")
    if b"ou" in data:
        data = data.replace(b"ou", b"u")
    if b" ie" in data:
        # word-initial ye/ie is e (Yerevan, Ереван; Yevgeny, Евгений)
        data = data.replace(b" ie", b" e")
    for double, single in _DOUBLES:
        while double in data:
            data = data.replace(double, single)
    return data.decode("ascii")


def transliterate(text: str) -> str:
    """The ASCII spelling of ``text`` before the merges (separators become spaces)."""
    return _prepare(text).translate(_table())


class _Folds(dict[str, str]):
    """Memo of ``_fold_chunk``: news repeats its words, so most chunks are folded once per process.

    A pure function's cache, bounded; dict reads and writes are atomic, so threads may share it.
    """

    def __missing__(self, chunk: str) -> str:
        value = " ".join(_chain(" " + transliterate(mask_links(chunk))).split())
        if len(self) >= _FOLDS_LIMIT:
            self.clear()
        self[chunk] = value
        return value


_FOLDS = _Folds()


# The keys of a chunk of text without spaces, joined by spaces: ``fold`` of one chunk, unpadded.
fold_chunk = _FOLDS.__getitem__


def fold(text: str) -> str:
    """The whole text as ``" key key ... "``: a split, one memo lookup per chunk and a join."""
    chunks = mask_tags(text).split()
    return " " + " ".join(filter(None, map(_FOLDS.__getitem__, chunks))) + " "


class _Keys(dict[str, str]):
    """Memo of word keys, bounded like ``_Folds``."""

    def __missing__(self, word: str) -> str:
        value = "".join(_chain(" " + transliterate(word)).split())
        if len(self) >= _FOLDS_LIMIT:
            self.clear()
        self[word] = value
        return value


_KEYS = _Keys()


def key(word: str) -> str:
    """The spelling key of one word (empty for a word made only of ignorable marks)."""
    return _KEYS[word]


def merge(ascii_word: str) -> str:
    """The key of an already transliterated word (for spelling variants built at compile time)."""
    return "".join(_chain(" " + ascii_word).split())


class Token(NamedTuple):
    """One word of an original text: its offsets and its key."""

    start: int
    end: int
    key: str


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with non-empty keys, in order, offsets into the original string."""
    masked = mask_tags(text)
    if "@" in masked or "/" in masked or "." in masked:
        masked = _LINK_RE.sub(_blank, masked)  # the same spans as word by word: links hold no spaces
    keys = _KEYS
    found = [Token(m.start(), m.end(), keys[m.group()]) for m in TOKEN_RE.finditer(masked)]
    return [t for t in found if t.key]


def render(toks: list[Token]) -> str:
    """The folded form of a token list (equal to ``fold`` of the text they came from)."""
    return " " + " ".join(t.key for t in toks) + " "


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
