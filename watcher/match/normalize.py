"""Spelling keys: every script and transliteration of a word folds to one ASCII key.

``fold(text)`` is the matcher's hot path: a few length-preserving rewrites (links and tags
blanked, Armenian and Azerbaijani spellings that need a neighbour) and then one ``str.translate``
that maps each character to its key letters. Because each character maps on its own, an offset in
the folded text leads back to the original character (``Offsets``), and the keys of single words
(``key``, ``tokens``) are always the words of ``fold``.

The letter map merges what transliteration systems disagree on: h is dropped (Sahakyan, Saakyan;
kh, gh, sh, zh, ch, ph, th lose it too), g/k/q are one letter (Ghukasyan, Gukasyan, Qarabağ), y and
j are i (Pashinyan, Pashinian, Pashinjan), w is v, x is ks. What a single character cannot decide
(h written х, doubled letters, word-initial ye, j written дж) is left to spelling variants of the
watchlist entries (see compile.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, islice
from typing import NamedTuple

from anyascii import anyascii

# Characters inside a word that are not letters: combining accents (stress marks in Russian), soft
# hyphen and zero-width joiners, Armenian emphasis/question/exclamation marks (written inside the
# word), and the private marks that the Armenian rewrites below put in.
_IGNORABLE = "\u0300-\u036f\u0483-\u0489\u00ad\u200b-\u200d\u2060\ufeff\u055b\u055c\u055e\u055f\ue000-\ue00f"
TOKEN_CHARS = rf"\w{_IGNORABLE}"
TOKEN_RE = re.compile(rf"[{TOKEN_CHARS}]+")

# A name inside a URL, an e-mail address or an HTML tag is not a mention: such spans are blanked
# (same length, so offsets survive).
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_TLD = r"\.(?:com|org|net|ru|am|az|info|io|gov|edu|ge|ua|by|kz|uk|de|fr|news|tv)(?![\w])"
_TLD_RE = re.compile(_TLD, re.IGNORECASE)
_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"']+", re.IGNORECASE)
_ANCHOR_RE = re.compile(rf"@\w|{_TLD}", re.IGNORECASE)
_PUNCTUATION = tuple(zip("’‘“”«»—–…\u00a0\u2009\u202f", "''\"\"\"\"--.   "))
_CHUNK_RE = re.compile(r"\S+")
_SPECIAL_RE = re.compile(r"[əƏğĞıİ\u0531-\u0587\U00010000-\U0010ffff]")

# Azerbaijani Latin: a word holding one of these letters reads c as j and x as kh (Cəfərov,
# Джафаров; Xankəndi, Ханкенди). Same length: x becomes q, which maps like k.
_AZ_LETTER_RE = re.compile(r"[əƏğĞıİ]")
_AZ_WORD_RE = re.compile(rf"[{TOKEN_CHARS}]*[əƏğĞıİ][{TOKEN_CHARS}]*")
_AZ_SWAP = str.maketrans("cCxX", "jJqQ")

# Armenian: ու is one vowel (u); a word-initial ո reads vo, ե reads ye and և reads yev. Private
# characters keep the length (U+E000.. map to those sounds, U+200B to nothing).
_ARMENIAN_RE = re.compile(r"[\u0531-\u0587]")
_ARM_RULES = (
    (re.compile(r"[ոՈ][ւՒ]"), "u\u200b"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Ոո]"), "\ue000"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])[Եե]"), "\ue001"),
    (re.compile(rf"(?<![{TOKEN_CHARS}])և"), "\ue002"),
)
_ASTRAL_RE = re.compile(r"[\U00010000-\U0010ffff]")

_OVERRIDES = {"ə": "a", "Ə": "a", "ı": "i", "İ": "i", "Ռ": "r", "ռ": "r", "ը": "", "Ը": "", "ß": "ss",
              "ь": "", "Ь": "", "ъ": "", "Ъ": "", "ё": "e", "Ё": "e", "ў": "u", "Ջ": "dz", "ջ": "dz",
              "\ue000": "vo", "\ue001": "ie", "\ue002": "iev"}
# Letters that spell one sound in different systems, applied after transliteration to ASCII.
_LETTERS = str.maketrans({"h": "", "x": "ks", "w": "v", "y": "i", "j": "i", "g": "k", "q": "k"})


def _ascii(char: str) -> str:
    """One character spelt in lower-case ASCII letters and digits, before the merges."""
    if char in _OVERRIDES:
        return _OVERRIDES[char]
    if not TOKEN_RE.fullmatch(char):
        return " "
    if unicodedata.combining(char) or re.fullmatch(f"[{_IGNORABLE}]", char):
        return ""
    out = anyascii(unicodedata.normalize("NFKC", char)).lower()
    return "".join(c for c in out if c.isascii() and c.isalnum())


@lru_cache(maxsize=1)
def ascii_table() -> dict[int, str]:
    """Every BMP character to its ASCII spelling (built on first use, about a tenth of a second)."""
    return {code: _ascii(chr(code)) for code in range(0x10000)}


@lru_cache(maxsize=1)
def key_table() -> dict[int, str]:
    """Every BMP character to its key letters: the ASCII spelling with the merges applied."""
    return {code: value.translate(_LETTERS) for code, value in ascii_table().items()}


@lru_cache(maxsize=1)
def _ascii_fast() -> dict[int, str | None]:
    # One ASCII character (or None) per ASCII character keeps str.translate on its fast path; x (ks)
    # is expanded afterwards.
    table: dict[int, str | None] = {code: (value or None) for code, value in key_table().items() if code < 128}
    table[ord("x")] = table[ord("X")] = "x"
    return table


def prepare(text: str) -> str:
    """Length-preserving rewrites before the letter map: links, tags, Armenian and Azerbaijani words."""
    if "<" in text:
        text = _TAG_RE.sub(_blank, text)
    if "@" in text or "://" in text or "www." in text or _TLD_RE.search(text):
        text = _mask_links(text)
    if text.isascii():
        return text
    for fancy, plain in _PUNCTUATION:  # so that most English text is ASCII again (the fast path)
        if fancy in text:
            text = text.replace(fancy, plain)
    if text.isascii() or not _SPECIAL_RE.search(text):
        return text
    if _AZ_LETTER_RE.search(text):
        text = _AZ_WORD_RE.sub(lambda m: m.group().translate(_AZ_SWAP), text)
    if _ARMENIAN_RE.search(text):
        for pattern, repl in _ARM_RULES:
            text = pattern.sub(repl, text)
    if _ASTRAL_RE.search(text):  # outside the table: treated as separators
        text = _ASTRAL_RE.sub(" ", text)
    return text


def _mask_links(text: str) -> str:
    # Anchored on the cheap parts (scheme, @, top-level domain), widened by hand: one regex over the
    # whole text with a leading character class costs a hundred times more.
    spans = [m.span() for m in _URL_RE.finditer(text)] if ("://" in text or "www." in text) else []
    for m in _ANCHOR_RE.finditer(text):
        start = m.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._-+@"):
            start -= 1
        end = m.end()
        while end < len(text) and not text[end].isspace() and text[end] not in "<>\"'),;":
            end += 1
        spans.append((start, end - 1 if text[end - 1] in ".:!?" else end))
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


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


def fold_prepared(prepared: str) -> str:
    """``fold`` of a text already through ``prepare``."""
    if prepared.isascii():
        return _fold_ascii(prepared)
    # Elsewhere translate costs 60 ns a character; a memo lookup per chunk is cheaper.
    return " " + "".join(map(_FOLDS.__getitem__, prepared.split()))


def _fold_ascii(prepared: str) -> str:
    # str.translate's fast path (about 5 ns a character) needs one ASCII character or None per entry
    folded = prepared.translate(_ascii_fast())
    return " " + (folded.replace("x", "ks") if "x" in folded else folded) + " "


def key(word: str) -> str:
    """The spelling key of one word (empty for a word made only of ignorable marks)."""
    return prepare(word).translate(key_table()).replace(" ", "")


def spell(word: str) -> str:
    """The ASCII spelling of a word before the merges (compile time: spelling variants)."""
    return prepare(word).translate(ascii_table()).replace(" ", "")


def merge(ascii_word: str) -> str:
    """The key of an ASCII spelling."""
    return ascii_word.translate(_LETTERS)


class Token(NamedTuple):
    """One word of an original text: its offsets and its key."""

    start: int
    end: int
    key: str


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with non-empty keys, in order, offsets into the original string."""
    table = key_table()
    found = [Token(m.start(), m.end(), m.group().translate(table)) for m in TOKEN_RE.finditer(prepare(text))]
    return [t for t in found if t.key]


_ASCII_SIZES = bytes(0 if chr(b) in "hH" else 2 if chr(b) in "xX" else 1 for b in range(256))


class Offsets:
    """Maps positions in ``fold(text)`` back to the original text, given ``prepare(text)``.

    ASCII text folds as one run; other text as chunks between spaces, each folded on its own and
    followed by a space, so a position is found in its chunk first, then character by character.
    """

    __slots__ = ("_prepared", "_chunks", "_starts", "_ends", "_ascii_sizes", "_ascii_ends", "_sizes")

    def __init__(self, prepared: str) -> None:
        self._prepared = prepared
        if prepared.isascii():  # bytes do it in C: h folds to nothing, x to two letters
            self._ascii_sizes = list(prepared.encode("ascii").translate(_ASCII_SIZES))
            self._ascii_ends = list(accumulate(self._ascii_sizes))
            self._chunks, self._starts = [prepared], [0]
            self._ends = [sum(self._ascii_sizes) + 1]
        else:
            self._ascii_sizes, self._ascii_ends = [], []
            self._chunks = prepared.split()
            self._starts = []  # filled as far as needed: hits are rare and often early
            self._sizes: dict[int, tuple[list[int], list[int]]] = {}
            self._ends = list(accumulate(map(len, map(_FOLDS.__getitem__, self._chunks))))

    def _locate(self, index: int) -> tuple[int, list[int], list[int]]:
        """The chunk holding folded character ``index`` (0 = the first after the padding), its sizes and their sums."""
        k = min(bisect_right(self._ends, index), len(self._chunks) - 1)
        if k >= len(self._starts):
            done = len(self._starts)
            more = _CHUNK_RE.finditer(self._prepared, self._starts[-1] + len(self._chunks[done - 1]) if done else 0)
            self._starts += map(re.Match.start, islice(more, k + 1 - len(self._starts)))
        if self._ascii_sizes:
            return k, self._ascii_sizes, self._ascii_ends
        if k not in self._sizes:
            sizes = list(map(len, map(key_table().__getitem__, map(ord, self._chunks[k]))))
            self._sizes[k] = (sizes, list(accumulate(sizes)))
        return (k, *self._sizes[k])

    def _inner(self, k: int, index: int) -> int:
        return index - (self._ends[k - 1] if k else 0)

    def start(self, position: int) -> int:
        """The original offset of the word whose folded text starts at ``position``."""
        k, sizes, ends = self._locate(position - 1)
        first = bisect_right(ends, self._inner(k, position - 1))
        while first > 0 and sizes[first - 1] == 0:  # a leading h folds to nothing
            first -= 1
        return self._starts[k] + first

    def end(self, position: int) -> int:
        """The original offset just after the word whose folded text ends before ``position``."""
        k, sizes, ends = self._locate(position - 2)
        last = bisect_right(ends, self._inner(k, position - 2))
        # characters that fold to nothing still belong to the word (a final accent or soft hyphen)
        while last + 1 < len(sizes) and sizes[last + 1] == 0:
            last += 1
        return self._starts[k] + last + 1


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
