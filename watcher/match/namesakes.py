"""Namesakes: a surname beside a given name or an initial that is not the person's names someone else.

Sargsyan, Babayan, Aliyev are the commonest surnames of the region: "Arsen Babayan", "Вахе Саргсян",
"Գոռ Սարգսյանը", "T. Sargsyan", "Саргсян Вахе Грачевич" are other people than Samvel Babayan or Serzh
Sargsyan. A person's hit on its surname alone (or on a one-word name or alias) is judged by the words
beside it in the original text, once the item has matched (so never on the path of an item that names
nobody): the word just before it, or just after it in the inverted and official forms, when that word is a
given name (or an initial) and not one of the person's own. A patronymic may stand between.

What is a given name: the lists in ``names/`` (Russian from OpenCorpora, Armenian and Azerbaijani compiled
by hand, see each file's header), compared by spelling key in every script, and for Cyrillic words that
no list holds, the Russian dictionary of pymorphy3 (loaded on first need, once). A person's own given names
are the first words of its name and aliases, its ``given_names:``, every spelling variant of them and the
forms of ``names/forms.txt`` (Serzh, Serge, Serj; Vladimir, Vova).

In Cyrillic and Armenian a name is written with a capital: a surname in lower case inside a text that
capitalises is another word (путина, the fishing season). An all-capitals text cannot tell and matches;
an all-lower-case Russian text matches unless the dictionary knows the word as an ordinary noun.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from itertools import islice
from typing import Any

from watcher.config.schema import EntryConfig
from watcher.match.given_names import coarse, forms, names, not_names
from watcher.match.inflect import endings
from watcher.match.letters import LETTERS, TOKEN_RE
from watcher.match.normalize import key, script, spell
from watcher.match.scan import Verdict

# Patronymics in key form: Russian -ovich/-evich/-ovna/-evna/-ich (and their cases), Armenian -i (Vovayi).
_PATRONYMIC = re.compile(r"(?:ovic|evic|ovn|evn|ic|icn|ini|aii)[a-z]{0,3}$")
_LATIN_PATRONYMIC = re.compile(r"(?:ovic|evic|ovna|evna)$")
# An initial: one capital, or a capital of two letters that spell one (Kh. for Х., Zh., Yu.).
_INITIAL = re.compile(r"^(?:[^\W\d_]|Kh|Sh|Ch|Zh|Ts|Gh|Yu|Ya|Ye|Dj)$")
# Azerbaijani honorifics after a given name: Mehriban xanım, Elçin bəy, Ramiz müəllim (ханым, бей)
_HONORIFICS = frozenset({"kanim", "ksanim", "bai", "bei", "muallim", "muellim"})
_SON_OF = frozenset({"oklu", "kizi", "okli"})  # Azerbaijani oğlu, qızı (оглы, кызы) after the father's name
_ABBREVIATIONS = frozenset({"US", "UK", "UN", "EU"})  # U.S. Sargsyan: no initials
_REACH = 48  # characters either side that hold the words a neighbour is told by (Вахе Грачевич, T. S.)
_CAPITALS = {"cyrillic": re.compile(r"[А-ЯЁ]"), "armenian": re.compile(r"[\u0531-\u0556]")}


@dataclass(frozen=True, slots=True)
class Namesake:
    """A surname of a watched person that an item gives to someone else, and the name beside it."""

    entry_id: str
    name: str  # the other given name or initial, as written (Arsen, Арсена, T.)
    surname: str  # as written (Babayan, Бабаяна)
    field: str
    start: int  # of the surname in the field
    end: int


@dataclass(frozen=True, slots=True)
class Given:
    """A person's own given names: how the judge compares a neighbour with them."""

    display: str  # the first given name as the watchlist writes it (for reasons)
    names: frozenset[str]  # coarse keys of every own spelling
    initials: frozenset[str]  # first letters of them, merged as keys merge them


def given_of(entry: EntryConfig, variants: Callable[[str], list[str]]) -> Given | None:
    """The own given names of a person entry (None: it has none, so no neighbour can tell)."""
    words = [w for text in (entry.name, *entry.aliases) for w in _words(text)[:-1]]
    words += [w for text in entry.given_names for w in _words(text)]
    if entry.kind != "person" or not words:
        return None
    spellings = set(words)
    for w in words:
        spellings.update(forms().get(coarse(key(w)), ()))
    own = {coarse(v) for w in spellings for v in (key(w), *variants(w)) if v}
    return Given(words[0], frozenset(own), frozenset(i for w in spellings for i in _initials(w)))


def judge(verdicts: Sequence[Verdict], fields: dict[str, str], span: Callable[[Verdict], tuple[int, int]],
          person: Callable[[int], bool], one_word: Callable[[Verdict], bool],
          given: Callable[[int], Given | None]) -> list[Verdict]:
    """``verdicts`` with the persons' mentions that name someone else rejected, the reason said."""
    out = list(verdicts)
    casing: dict[str, bool] = {}

    def cased(field: str) -> bool:  # a field's case, told once (a field may be long)
        if field not in casing:
            casing[field] = _cased(fields[field])
        return casing[field]

    other: dict[int, str] = {}  # entry -> the namesake the item names
    own: set[int] = set()  # entries the item names with their own given name
    single: list[int] = []
    for n, v in enumerate(out):
        if v.reason or v.rule == "query" or not person(v.entry):
            continue
        text = fields[v.field]
        start, end = span(v)
        reason = _lower_case(text, start, end)
        if not reason and one_word(v):
            single.append(n)
            mine = given(v.entry)
            if mine is not None:
                found = _neighbour(text, start, end, mine, partial(cased, v.field))
                if found is True:
                    own.add(v.entry)
                elif found:
                    reason, name = found
                    other.setdefault(v.entry, f"{name} {text[start:end]}")
                    out[n] = replace(v, reason=reason, namesake=name)
                    continue
        elif not reason:
            own.add(v.entry)
        if reason:
            out[n] = replace(v, reason=reason)
    for n in single:  # in "Arsen Babayan said ... Babayan added" both are Arsen
        v = out[n]
        if not v.reason and v.entry in other and v.entry not in own:
            out[n] = replace(v, reason=f"surname alone in an item that names {other[v.entry]}, another person")
    return out


def _neighbour(text: str, start: int, end: int, mine: Given, cased: Callable[[], bool]) -> tuple[str, str] | bool:
    """Whether a given name or an initial beside ``text[start:end]`` is the person's own (True), someone else's
    (the reason and the name), or there is none (False)."""
    words: list[tuple[str, str]] = []  # the words before, nearest first, each with what separates it from the next
    if start and (text[start - 1].isspace() or text[start - 1] == "."):  # else no word stands right before
        at = start
        for m in reversed(list(TOKEN_RE.finditer(text, max(0, start - _REACH), start))[-3:]):
            words.append((m.group(), text[m.end():at]))
            at = m.start()
    if words and _is_initial(*words[0]):
        if len(words) > 1 and words[1][1].isspace() and words[1][0][0].isupper() and not _is_initial(*words[1]):
            found = _compare_name(words[1][0], mine, "preceded")  # a middle initial: Davit K. Babayan
            if found is not False:
                return found
        # "T. Sargsyan", "Т.С. Саргсян": the first of the initials is the given name's
        first = words[1][0] if len(words) > 1 and _is_initial(*words[1]) else words[0][0]
        if len(words) > 1 and words[1][0] + words[0][0] in _ABBREVIATIONS:
            return False
        return _compare_initial(first, mine, "preceded")
    if words and not words[0][1].isspace():
        words = []
    if len(words) > 1 and words[1][1].isspace() and (_is_patronymic(words[0][0]) or key(words[0][0]) in _HONORIFICS):
        words = words[1:]  # Вахе Грачевич Саргсян, Mehriban xanım Əliyeva
    if words and words[0][1].isspace() and (words[0][0][0].isupper() or (_may_be_name(words[0][0], mine) and not cased())):
        found = _compare_name(words[0][0], mine, "preceded")
        if found is not False:
            return found
    # inverted and official forms: Саргсян Вахе Грачевич, Sargsyan T., Əliyev Ali
    if end == len(text) or not text[end].isspace():
        return False
    after = list(islice(TOKEN_RE.finditer(text, end, min(len(text), end + _REACH)), 3))
    if not after or not text[end:after[0].start()].isspace():
        return False
    word = after[0].group()
    gap = text[after[0].end():after[1].start()] if len(after) > 1 else ""
    if _is_initial(word, text[after[0].end():after[0].end() + 1]):
        return _compare_initial(word, mine, "followed")
    if not word[0].isupper() and (not _may_be_name(word, mine) or cased()):
        return False  # a given name in lower case only in a text all in one case
    # a capitalised word after the given name is the next person of a list (Pashinyan Armen Sarkissian ...),
    # unless it is a patronymic (Грачевич; Rauf oğlu)
    if (len(after) > 1 and gap.isspace() and after[1].group()[0].isupper() and not _is_patronymic(after[1].group())
            and not (len(after) > 2 and key(after[2].group()) in _SON_OF)):
        return False
    return _compare_name(word, mine, "followed")


def namesake_key(name: str) -> str:
    """One key for the spellings and case forms of a given name or initial (Arsen, Арсен, Арсена; T., Т.)."""
    if name.endswith("."):
        return name
    if script(name) == "cyrillic" and "Name" in _tags(name):
        name = next(p.normal_form for p in _morph().parse(name) if "Name" in p.tag.grammemes)
    return coarse(key(name))


def _may_be_name(word: str, mine: Given) -> bool:
    return bool(_keys(word) & mine.names) or is_given_name(word)


def _compare_name(word: str, mine: Given, where: str) -> tuple[str, str] | bool:
    if _keys(word) & mine.names:
        return True
    if is_given_name(word):
        return f"{where} by the given name {word}, not {mine.display}", word
    return False


def _compare_initial(initial: str, mine: Given, where: str) -> tuple[str, str] | bool:
    letters = spell(initial)  # as written: E. is no J., though a Yervand may be written E. or Y.
    if (letters[:1].translate(LETTERS) or letters[:1]) in mine.initials:
        return True
    return f"{where} by the initial {initial}., not {mine.display}", f"{initial}."


def _is_initial(word: str, separator: str) -> bool:
    return separator.startswith(".") and bool(_INITIAL.match(word)) and word[0].isupper()


@lru_cache(maxsize=8192)
def _is_patronymic(word: str) -> bool:
    written = script(word)
    if written == "armenian":
        return key(word).endswith("i")  # the father's name in the genitive: Նիկոլ Վովայի Փաշինյան
    if written == "latin":  # Surenovich, Vladimirovna
        return _LATIN_PATRONYMIC.search(key(word)) is not None
    return written == "cyrillic" and (_PATRONYMIC.search(key(word)) is not None or "Patr" in _tags(word))


def _initials(word: str) -> set[str]:
    """The letters a person's own given name's initial may be written with: the first of its ASCII spelling, merged as keys merge
    (g, k, q; i, j, y), h kept; and of its other transliterations (Джейхун J., Ерванд Y., Гейдар H., Жирайр J.)."""
    letters = spell(word)
    first = letters[:1].translate(LETTERS) or letters[:1]
    out = {first}
    if letters.startswith(("dzh", "dj", "zh")):
        out.add("i")
    if first in ("h", "k"):
        out |= {"h", "k"}
    if letters[:1] in ("e", "y"):  # Yervand, Ерванд
        out |= {"e", "i"}
    return out - {""}


@lru_cache(maxsize=8192)
def _keys(word: str) -> frozenset[str]:
    """Coarse keys of a word of the text, and for a Cyrillic word those without each case ending (Тиграна): to
    compare with a person's own names only, a handful."""
    k = key(word)
    found = {coarse(k)}
    if script(word) == "cyrillic":
        found |= {coarse(k[:-len(e)]) for e in endings()["cyrillic"] if e and k.endswith(e) and len(k) - len(e) >= 3}
    return frozenset(found)


@lru_cache(maxsize=8192)
def is_given_name(word: str) -> bool:
    """Whether ``word`` (as written in a text) is a given name of the lists, or one the Russian dictionary knows
    in any case form (Тиграна). Russian endings are not cut off by hand: Армении is no Армен."""
    k = key(word)
    if len(k) < 3 or word.casefold() in not_names():
        return False
    tags = _tags(word)  # the dictionary knows each form's readings: Армении is Армения's only
    if _singular_name(word):  # Мамедов, Муратов are surnames, though also the plural of Мамед, Мурат
        return True
    if tags & {"Geox", "Orgn", "Surn", "Abbr"}:
        return False
    ours, russian = names()
    if script(word) != "cyrillic":
        return coarse(k) in ours or coarse(k) in russian
    # Armenian and Azerbaijani names in Russian case forms the dictionary does not know (Нарека, Вугару)
    return bool(_keys(word) & ours) or (not tags and coarse(k) in russian)


def _lower_case(text: str, start: int, end: int) -> str:
    """Why a surname written in lower case is another word, or "" when it may be the name."""
    words = TOKEN_RE.findall(text, start, end)
    word = words[-1] if words else ""
    written = script(word)
    if written not in _CAPITALS or not word[:1].islower():
        return ""
    if _CAPITALS[written].search(text):
        return f"{word!r} is in lower case in a text that writes names with a capital: another word"
    if written == "cyrillic" and _ordinary_noun(word):
        return f"{word!r} is an ordinary Russian word as well, and this text writes everything in lower case"
    return ""


def _cased(text: str) -> bool:
    """Whether the text writes letters of both cases (an all-capitals or all-lower-case text says nothing)."""
    return text.lower() != text and text.upper() != text  # in C: a field may be long


def _words(text: str) -> list[str]:
    return [w for w in TOKEN_RE.findall(text) if key(w)]


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3  # ~0.1 s to load its dictionaries: only for the rare item that needs it

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=4096)
def _tags(word: str) -> frozenset[str]:
    """The grammemes of every dictionary reading of a Cyrillic word (empty for an unknown word)."""
    if script(word) != "cyrillic":
        return frozenset()
    morph = _morph()
    if not morph.word_is_known(word.lower()):
        return frozenset()
    return frozenset(g for parse in morph.parse(word) for g in parse.tag.grammemes)


@lru_cache(maxsize=8192)
def _singular_name(word: str) -> bool:
    """Whether the dictionary reads a Cyrillic word as one person's given name (Тиграна, Вахе)."""
    if not _tags(word):
        return False
    return any("Name" in p.tag.grammemes and "plur" not in p.tag.grammemes for p in _morph().parse(word))


@lru_cache(maxsize=8192)
def _ordinary_noun(word: str) -> bool:
    """Whether the dictionary reads a Cyrillic word as an ordinary word (путина, путины) and not only as a name."""
    if script(word) != "cyrillic":
        return False
    morph = _morph()
    return any(parse.is_known and not ({"Surn", "Name", "Patr"} & parse.tag.grammemes)
               for parse in morph.parse(word.lower()))
