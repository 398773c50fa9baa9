"""Inflection in key space: which word endings may follow a watchlist word in each script.

A watchlist word becomes a stem (its key minus a final vowel run: Zhirinovsky -> zirinovsk + i,
Armenia -> armen + ia) and a mention is a word that starts with that stem and ends with an
allowed tail. Tails are case endings of Russian nouns, surnames and adjectives, Armenian case and
article suffixes, Azerbaijani case suffixes; English text only gets its plural -s for non-persons
(the possessive 's is split off at the apostrophe). Endings are written in their own script and
folded with the same key function, so they always agree with the text.
"""

from __future__ import annotations

from functools import lru_cache

from watcher.match.normalize import key

_RUSSIAN = (
    "а", "я", "у", "ю", "ом", "ем", "ём", "ой", "ей", "ою", "ею", "е", "и", "ы",  # nouns, -ов/-ин surnames
    "ам", "ям", "ами", "ями", "ах", "ях", "ия", "ию", "ией", "ии",
    "ого", "его", "ому", "ему", "ым", "им", "ая", "яя", "ую", "юю",  # adjectives, -ский surnames
    "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ий", "ый",
)
_ARMENIAN = (
    "ի", "ին", "ից", "ով", "ում", "ն", "ու", "ս", "դ", "ը", "ումը",  # cases, article, possessives
    "ներ", "ների", "ներին", "ները", "ներից", "ներով", "ներում",  # plural
    "յի", "յին", "յից", "յով", "յում",  # after a vowel
)
# Azerbaijani suffixes after vowel harmony, already in key form (ə->a, ı->i, ğ->k, ş->s).
_AZERI = ("a", "ia", "i", "u", "in", "un", "nin", "nun", "ni", "nu", "da", "dan", "ta", "tan", "la", "ila",
          "daki", "dir", "iin", "ina", "ini")
_LATIN_OTHER = ("", "s", "es")
# Place adjectives, demonyms and the first halves of compounds (a place's ``adjectives:``): карабахский,
# нагорно-карабахского, бакинский, карабахцы; ղարաբաղյան, արցախցի, ադրբեջանական; Karabakhi, Azerbaijani;
# Qarabağlı. English -ian is left out: Armenian names a people and a language more often than the place.
_ADJECTIVE = ("ий", "ый", "ая", "яя", "ое", "ее", "ие", "ые", "ого", "его", "ому", "ему", "ом", "ем", "ой", "ей", "ую",
              "юю", "их", "ых", "им", "ым", "ими", "ыми")
_RUSSIAN_DERIVED = ("ско", *(s + e for s in ("ск", "инск") for e in _ADJECTIVE),
                    "цы", "цев", "цам", "цами", "цах", "ец", "ца", "цу", "цем")
_ARMENIAN_DERIVED = tuple(s + e for s in ("յան", "ցի", "ական") for e in
                          ("", "ի", "ին", "ը", "ն", "ներ", "ների", "ներին", "ները", "ներից", "ներով", "ներում"))
_AZERI_DERIVED = ("li", "lu", "lilar", "lular", "liar")
_LATIN_DERIVED = ("i", "is")

MIN_INFLECTED = 4  # shorter keys (Ali, Baku, Igor's prefixes) match only as written


def _fold_endings(endings: tuple[str, ...], carrier: str) -> frozenset[str]:
    # A carrier consonant in front keeps word-initial rules (Armenian ո -> vo) from firing.
    base = key(carrier)
    return frozenset({""} | {key(carrier + e)[len(base):] for e in endings})


@lru_cache(maxsize=1)
def endings() -> dict[str, frozenset[str]]:
    """Allowed endings per script, in key form (built on first use, then shared)."""
    return {
        "cyrillic": _fold_endings(_RUSSIAN, "т"),
        "armenian": _fold_endings(_ARMENIAN, "տ"),
        "azeri": frozenset({""} | set(_AZERI)),
        "latin": frozenset({""}),
    }


@lru_cache(maxsize=1)
def derived() -> dict[str, frozenset[str]]:
    """Endings of place adjectives and compounds per script, in key form."""
    return {
        "cyrillic": _fold_endings(_RUSSIAN_DERIVED, "т") - {""},
        "armenian": _fold_endings(_ARMENIAN_DERIVED, "տ") - {""},
        "azeri": frozenset(_AZERI_DERIVED),
        "latin": frozenset(_LATIN_DERIVED),
    }


def split_stem(word_key: str) -> tuple[str, str]:
    """Stem and stripped final vowels of a watchlist word's key (zirinovski -> zirinovsk, i)."""
    if len(word_key) < MIN_INFLECTED:
        return word_key, ""
    stem = word_key.rstrip("aeiou")
    if len(stem) < 3:
        return word_key, ""
    return stem, word_key[len(stem):]


@lru_cache(maxsize=4096)
def tails(own: str, script: str, person: bool, adjectives: bool = False) -> frozenset[str]:
    """Tails allowed after a stem whose base form ends in ``own``, for a word in ``script`` (``adjectives``:
    a place's adjectives and compounds too)."""
    prefixes = [own[:i] for i in range(len(own) + 1)]
    more = {p + e for p in prefixes for e in derived()[script]} if adjectives else set()
    if script == "latin":
        extra = ("",) if person else _LATIN_OTHER
        return frozenset({own + e for e in extra} | ({own + e for e in _LATIN_DERIVED} if adjectives else set()))
    found = {p + e for p in prefixes for e in endings()[script]} | more
    if adjectives and script == "cyrillic":
        found.add(own + "o")  # the first half of a compound (азербайджано-): after the whole word, so Бако is no Баку
    if own:
        # A bare stem is another word (Armen is not Armenia, Zhirinovsk is not Zhirinovsky).
        found.discard("")
    found.add(own)
    return frozenset(found)


@lru_cache(maxsize=4096)
def any_tails(own: str, person: bool, adjectives: bool = False) -> frozenset[str]:
    """Union over scripts: the permissive filter of the fast path."""
    out: set[str] = set()
    for name in ("latin", "cyrillic", "armenian", "azeri"):
        out |= tails(own, name, person, adjectives)
    return frozenset(out)
