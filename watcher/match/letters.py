"""The key of every character, and the single-byte code pages whose texts take their keys in C.

Speed layer (the code pages): folding an item's title and text through a code page takes ~10 µs, through
``str.translate`` and ``key_table`` ~44 µs (the shared corpus, 1,327 items, mean 1,189 characters). Without
them every result is the same, only slower: tests/test_match_normalize.py holds ``fold`` (code pages) equal to
``tokens`` (each word through ``key_table``), with their offsets, on every text hypothesis draws.

A character's key is its spelling in lower-case ASCII letters and digits with the merges of
``LETTERS`` applied (h dropped, y and j as i, ...): empty for a mark inside a word, a space for
anything that is no part of a word. ``key_table`` holds them for ``str.translate``; a code page
(cp1252, cp1251, or "mixed", our own) holds them for ``bytes.translate`` of its encoded texts, which
is what the matcher does with nearly all news.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any, NamedTuple

from anyascii import anyascii

# Characters inside a word that are not letters: combining accents (stress marks in Russian), soft
# hyphen and zero-width joiners, Armenian emphasis/question/exclamation marks (written inside the
# word), and the private marks that the Armenian rewrites of normalize.py put in.
_IGNORABLE = "\u0300-\u036f\u0483-\u0489\u00ad\u200b-\u200d\u2060\ufeff\u055b\u055c\u055e\u055f\ue000-\ue00f"
TOKEN_CHARS = rf"\w{_IGNORABLE}"
TOKEN_RE = re.compile(rf"[{TOKEN_CHARS}]+")

_OVERRIDES = {"ə": "a", "Ə": "a", "ı": "i", "İ": "i", "Ռ": "r", "ռ": "r", "ը": "", "Ը": "", "ß": "ss",
              "ь": "", "Ь": "", "ъ": "", "Ъ": "", "ё": "e", "Ё": "e", "ў": "u", "Ջ": "dz", "ջ": "dz",
              "\ue000": "vo", "\ue001": "ie", "\ue002": "iev", "\ue003": "i", "\ue004": "h", "\ue005": "u"}
# Letters that spell one sound in different systems, applied after transliteration to ASCII.
LETTERS = str.maketrans({"h": "", "x": "ks", "w": "v", "y": "i", "j": "i", "g": "k", "q": "k"})


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


class _LazyTable(dict[int, str]):
    """A str.translate table filled one character at a time, on first sight: building all 65,536
    entries up front cost about a second at every start of the command line."""

    def __init__(self, spell: Callable[[int], str]) -> None:
        super().__init__()
        self._spell = spell

    def __missing__(self, code: int) -> str:
        value = self[code] = self._spell(code)
        return value


@lru_cache(maxsize=1)
def ascii_table() -> dict[int, str]:
    """Every BMP character to its ASCII spelling; index it (``get`` does not fill it)."""
    return _LazyTable(lambda code: _ascii(chr(code)))


@lru_cache(maxsize=1)
def key_table() -> dict[int, str]:
    """Every BMP character to its key letters: the ASCII spelling with the merges applied."""
    return _LazyTable(lambda code: ascii_table()[code].translate(LETTERS))


class Codec(NamedTuple):
    """A single-byte encoding whose texts fold in C: encode, bytes.translate, a few replaces, decode."""

    name: str
    encode: Callable[[str], bytes]  # raises UnicodeEncodeError for a text it cannot spell
    keys: bytes  # byte -> its key letter, or a byte past ASCII standing for a longer key
    delete: bytes  # bytes whose key is empty (h, ь)
    longer: dict[int, tuple[bytes, bytes]]  # mark -> itself and the longer key (x: ks, щ: sc)
    plain: bytes  # every byte but the marks: deleting these leaves the longer keys to spell out
    sizes: bytes  # byte -> length of its key
    odd: tuple[int, ...]  # the lengths other than 1 (h: 0, x: 2)


# Nearly all the news we read is Western Latin (English, with its curly quotes) or Cyrillic; "mixed" is
# a code page of our own for Cyrillic beside the Western letters and punctuation that neither of the
# others holds with it (a Russian article naming Société Générale, a French one quoting Путин).
CODECS = ("cp1252", "cp1251", "mixed")
_MIXED = "".join(map(chr, [*range(128), 0x401, *range(0x410, 0x450), 0x451])) + (
    "’‘“”„–—…«»•\u00a0\u00ad€№°" "àáâäçèéêëíîïñóôöúûüßãõøåæœìòù" "ÀÁÂÄÇÈÉÊÍÑÓÖÚÜØÅŒ")
# A letter that no code page here holds with anything: the slow path at once.
NO_CODE_PAGE = re.compile(r"[\u0531-\u0587əƏğĞıİ]")
_STRAY = "watcher-stray"  # the encode error handler that lets such text keep an arrow or an emoji


@lru_cache(maxsize=len(CODECS))
def codec(name: str) -> Codec:
    """The code page ``name`` (one of CODECS) with its key tables, built on first use."""
    table = key_table()
    if name == "mixed":
        decoded = _MIXED
        assert len(decoded) == len(set(decoded)) == 256, "one character a byte"
        encode: Callable[[str], bytes] = partial(_charmap_encode, charmap=codecs.charmap_build(decoded))
    else:
        decoded = bytes(range(256)).decode(name, errors="replace")
        encode = partial(str.encode, encoding=name, errors=_STRAY)
    keys, delete, sizes = bytearray(range(256)), bytearray(), bytearray(256)
    # One byte past ASCII per longer key, whatever the case of the letter: a text whose keys are all
    # single letters (nearly every text) is then told apart by ``bytes.isascii``, which costs next to nothing.
    marks: dict[str, int] = {}
    spare = iter(range(128, 256))
    for b, char in enumerate(decoded):
        value = table[ord(char)] if char != "\ufffd" else " "
        sizes[b] = len(value)
        if len(value) == 1:
            keys[b] = ord(value)
        elif not value:
            delete.append(b)
        else:
            keys[b] = marks[value] if value in marks else marks.setdefault(value, next(spare))
    longer = {mark: (bytes([mark]), value.encode("ascii")) for value, mark in marks.items()}
    plain = bytes(b for b in range(256) if b not in longer)
    codecs.register_error(_STRAY, _stray)  # idempotent: the same function under the same name
    return Codec(name, encode, bytes(keys), bytes(delete), longer, plain, bytes(sizes), tuple(set(sizes) - {1}))


def _charmap_encode(text: str, charmap: Any) -> bytes:
    return codecs.charmap_encode(text, _STRAY, charmap)[0]


# Characters of every code page in CODECS whose keys are no letters: a space, and a soft hyphen (no key).
_STAND_IN = {" ": " ", "": "\u00ad"}


def _stray(error: UnicodeError) -> tuple[str, int]:
    """Encode a run of characters outside the code page as characters in it with the same keys, when none
    is a letter: an arrow, a check mark or an emoji is a space, a zero-width joiner or an accent a soft hyphen.

    Each character still takes one byte, so offsets hold. A letter raises (another codec, or the slow
    path, spells it); so does an astral letter, which the slow path treats as a separator.
    """
    if not isinstance(error, UnicodeEncodeError):
        raise error
    table = key_table()
    out = []
    for char in error.object[error.start:error.end]:
        # Past the key table (the BMP) the slow path makes every character a space; a letter there would
        # still be a word to ``tokens``, so it goes the slow way.
        value = table[ord(char)] if ord(char) <= 0xFFFF else (None if char.isalnum() or char == "_" else " ")
        if value not in _STAND_IN:
            raise error
        out.append(_STAND_IN[value])
    return "".join(out), error.end
