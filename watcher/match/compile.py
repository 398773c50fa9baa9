"""Compile watchlist entries into flat, immutable tables and one Aho-Corasick automaton.

Every word of every spelling (names, aliases, context words, excluded phrases, query terms)
becomes a ``Word`` (stem + allowed endings); the automaton holds ``" " + stem`` for each distinct
stem, so one pass over the folded text finds every word start whatever the number of entries.
A ``Phrase`` is a sequence of words that must follow each other.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick_rs

from watcher.config.query import Query, Term, parse_query, terms
from watcher.config.schema import EntryConfig
from watcher.match import inflect
from watcher.match.given_names import coarse, forms
from watcher.match.letters import TOKEN_RE
from watcher.match.normalize import key, merge, spell

MAX_VARIANTS = 16
# A lone h is dropped in Russian (Sahakyan, Саакян) but also written х (Ilham, Ильхам); a kh after
# a consonant is often dropped the other way round. The key drops h, so the entry also gets a
# variant with k in its place (and one without the kh).
_LONE_H = re.compile(r"(?<![sczkgptdh])h(?!h)")
_KH_AFTER_CONSONANT = re.compile(r"(?<=[bcdfgjlmnprstvz])kh")
# j is also written дж/dzh (Jalal, Джалал, Ջալալ) and the other way round.
_LONE_J = re.compile(r"(?<![dz])j")
_DZH = re.compile(r"dzh|dj")
# zh is also written j at the start or the end of a name (Zhirayr, Jirayr; Serzh, Serj) and at the end ge
# (Serge). Not inside: its key i would merge with the i beside it (Kazhiin is no Kain).
_ZH = re.compile(r"^zh(?=[aeiou])|(?<=[aeiou])zh$")
_DOUBLE = re.compile(r"([a-z])\1+")
# Diaspora spellings of Armenian names: French ou (and English oo) for u (Haroutiounian, Ghoukasian,
# Ghoogasian), a doubled s between vowels (Boghossian), and the Western Armenian letter values, where the
# voiced and voiceless consonants trade places (Petrosyan, Bedrosian; Hakobyan, Hagopian; Tsaturyan, Dzadourian).
_LONE_U = re.compile(r"(?<!o)u")
_S_BETWEEN_VOWELS = re.compile(r"(?<=[aeiouy])s(?=[aeiouy])")
_ARMENIAN_SURNAME = re.compile(r"(?:yan|ian|jan|yants|ants|unts|ents|uni)$")
_WESTERN = re.compile(r"ts|dz|ch|j|p|b|t|d")
_WESTERN_SWAP = {"ts": "dz", "dz": "ts", "ch": "j", "j": "ch", "p": "b", "b": "p", "t": "d", "d": "t"}
_I_NEAR_VOWEL = re.compile(r"(?<=[aeou])i(?!i)|(?<!i)i(?=[aeou])|(?<!i)i$")


@dataclass(frozen=True, slots=True)
class Word:
    """One watchlist word: the stem the automaton looks for and the endings it accepts."""

    stem: str
    own: str  # the final vowels of its base form (Zhirinovsk-y), part of no stem
    inflects: bool
    person: bool
    prefix: bool = False  # a query word ending in '*': any ending
    adjectives: bool = False  # a place's word: its adjectives and compounds too

    def accepts(self, tail: str, script: str | None = None) -> bool:
        """Whether a word of the text starting with the stem and ending in ``tail`` is this word."""
        if self.prefix:
            return True
        if not self.inflects:
            return tail == self.own or (not self.person and script in (None, "latin") and tail == "s")
        if script is None:
            return tail in inflect.any_tails(self.own, self.person, self.adjectives)
        return tail in inflect.tails(self.own, script, self.person, self.adjectives)

    def any_tails(self) -> frozenset[str] | None:
        """Every tail ``accepts`` takes in some script (None: any tail), for the scan's set lookups."""
        if self.prefix:
            return None
        if not self.inflects:
            return frozenset({self.own} | (set() if self.person else {"s"}))
        return inflect.any_tails(self.own, self.person, self.adjectives)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in a row; ``role`` is mention, context, exclude or literal."""

    entry: int
    words: tuple[tuple[int, ...], ...]  # per position, the words (spelling variants) that may stand there
    role: str
    rule: str  # name, surname, alias (mentions); the literal's text for queries
    spelling: str
    person: bool = False  # a patronymic may stand between the first and the last word


@dataclass(frozen=True, slots=True)
class Plan:
    """What an entry needs from one item: its phrases by role, and its query."""

    entry: EntryConfig
    mentions: tuple[int, ...]
    context: tuple[int, ...]
    exclude: tuple[int, ...]
    query: Query | None
    literals: tuple[tuple[Term, tuple[int, ...]], ...]  # each query term and the phrases that satisfy it


@dataclass(frozen=True, slots=True)
class Tables:
    """The compiled watchlist."""

    words: tuple[Word, ...]
    phrases: tuple[Phrase, ...]
    plans: tuple[Plan, ...]
    ends: dict[int, tuple[int, ...]]  # word -> phrases it ends
    queried_by: dict[int, tuple[int, ...]]  # phrase -> entries whose query uses it
    automaton: ahocorasick_rs.BytesAhoCorasick | None  # None: no words at all
    stems: tuple[tuple[int, ...], ...]  # automaton pattern -> the words with that stem
    last: tuple[bool, ...]  # automaton pattern -> whether one of its words ends a phrase
    loose: tuple[frozenset[str] | None, ...]  # word -> Word.any_tails(), looked up once per candidate


def word_keys(text: str) -> list[str]:
    """Keys of the words of a watchlist spelling."""
    return [k for k in (key(w) for w in TOKEN_RE.findall(text)) if k]


def variants(word: str, person: bool = False) -> list[str]:
    """Keys of the spellings of ``word`` that one character at a time cannot merge (and for a word of a
    person's name, the diaspora spellings of Armenian names)."""
    return list(_variants(word, person))


@lru_cache(maxsize=65536)
def _variants(word: str, person: bool) -> tuple[str, ...]:
    # a watchlist repeats its given names and words (Vladimir, Karabakh) across entries: each is spelt once
    ascii_word = spell(word)
    spots = [(m.start(), m.end(), "j") for m in _ZH.finditer(ascii_word)]
    spots += [(m.start(), m.end(), "kh") for m in _LONE_H.finditer(ascii_word)]
    spots += [(m.start(), m.end(), "") for m in _KH_AFTER_CONSONANT.finditer(ascii_word)]
    spots += [(m.start(), m.end(), "dz") for m in _LONE_J.finditer(ascii_word)]
    spots += [(m.start(), m.end(), "j") for m in _DZH.finditer(ascii_word)]
    spots = sorted(spots)[:3]
    spellings = []
    for choice in itertools.product((False, True), repeat=len(spots)):
        text, shift = ascii_word, 0
        for (start, end, repl), take in zip(spots, choice, strict=True):
            if take:
                text = text[:start + shift] + repl + text[end + shift:]
                shift += len(repl) - (end - start)
        spellings.append(merge(text))
    if ascii_word.endswith("zh"):
        spellings.append(merge(ascii_word[:-2] + "ge"))
    # every spelling first, so that the cap only ever drops the finer key variants
    out = [k for k in spellings if k] + [v for k in spellings if k for v in _key_variants(k)]
    out = list(dict.fromkeys(out))[:MAX_VARIANTS]
    if person:
        out += [k for k in map(merge, _diaspora(ascii_word)) if k]
    return tuple(dict.fromkeys(out))


def _diaspora(ascii_word: str) -> list[str]:
    """Diaspora spellings of a word of an Armenian name (see _LONE_U): at most seven."""
    out = []
    us = [m.start() for m in _LONE_U.finditer(ascii_word)][:2]
    for chosen in ([us[0]], us[1:], us) if len(us) == 2 else ([us] if us else []):
        out.append("".join("ou" if i in chosen else c for i, c in enumerate(ascii_word)))
    if us:
        out.append(_LONE_U.sub("oo", ascii_word))
    out.append(_S_BETWEEN_VOWELS.sub("ss", ascii_word, count=1))
    if _ARMENIAN_SURNAME.search(ascii_word):
        western = _WESTERN.sub(lambda m: _WESTERN_SWAP[m.group()], ascii_word)
        out += [western, _LONE_U.sub("ou", western)]
    return [w for w in out if w != ascii_word]


def _key_variants(k: str) -> list[str]:
    # Doubled letters come and go between systems (Saakyan, Hovhannisyan, Оганесян), and y next to
    # i doubles it (Aliyev: aliiev; Алиев: aliev; Zhirinovskiy, Жириновский: -ii); a word-initial e
    # is ye in English and Armenian (Yerevan, Երևան) but not in Russian (Ереван).
    forms = [k, _DOUBLE.sub(r"\1", k)]
    for f in forms[:2]:
        spots = [m.start() for m in _I_NEAR_VOWEL.finditer(f)][:4]
        forms += [f[:i] + "i" + f[i:] for i in spots]
    forms += [f[1:] if f.startswith("ie") else "i" + f for f in list(forms) if f.startswith(("ie", "e"))]
    return list(dict.fromkeys(forms))


class _Builder:
    def __init__(self) -> None:
        self.words: list[Word] = []
        self.word_ids: dict[Word, int] = {}
        self.phrases: list[Phrase] = []
        self.phrase_ids: dict[Phrase, int] = {}

    def word(self, word_key: str, person: bool, inflects: bool, prefix: bool = False, adjectives: bool = False) -> int:
        if prefix:
            word = Word(word_key, "", False, person, True)
        elif inflects:
            stem, own = inflect.split_stem(word_key)
            takes = stem != word_key or len(word_key) >= inflect.MIN_INFLECTED
            word = Word(stem, own, takes, person, adjectives=adjectives and takes)
        else:
            word = Word(word_key, "", False, person)
        if word not in self.word_ids:
            self.word_ids[word] = len(self.words)
            self.words.append(word)
        return self.word_ids[word]

    def given_name(self, word: str) -> list[str]:
        """Keys of the spellings of a person's given name, and of its other forms (Khachatur, Khatchadour)."""
        found = variants(word, True)
        for form in forms().get(coarse(key(word)), ()):
            found += variants(form, True)
        return list(dict.fromkeys(found))

    def phrases_of(self, entry: int, text: str, role: str, rule: str, person: bool,
                   last_only: bool = False, prefix_last: bool = False, adjectives: bool = False) -> list[int]:
        words = [w for w in TOKEN_RE.findall(text) if key(w)]
        if last_only:
            words = words[-1:]
        if not words:
            return []
        last = len(words) - 1
        ids = tuple(tuple(dict.fromkeys(self.word(k, person, True, prefix_last and i == last, adjectives)
                                        for k in (self.given_name(w) if person and role == "mention" and i < last
                                                  else variants(w, person))))
                    for i, w in enumerate(words))
        phrase = Phrase(entry, ids, role, rule, text, person and len(ids) > 1)
        if phrase not in self.phrase_ids:
            self.phrase_ids[phrase] = len(self.phrases)
            self.phrases.append(phrase)
        return [self.phrase_ids[phrase]]


def compile_tables(entries: Sequence[EntryConfig], queries: Mapping[str, str] | None = None) -> Tables:
    """Build the tables and the automaton for ``entries`` and named ``queries`` (once per watchlist load)."""
    # A named query (a situation's) is a query-only entry: its id is reported, it has no name to match.
    entries = [*entries, *(EntryConfig(id=name, name=name, kind="term", query=q) for name, q in (queries or {}).items())]
    query_only = len(entries) - len(queries or {})
    b = _Builder()
    plans: list[Plan] = []
    names: dict[tuple[str, ...], list[int]] = {}
    for index, entry in enumerate(entries):
        if index >= query_only:
            plans.append(Plan(entry, (), (), (), None, ()))
            continue
        person = entry.kind == "person"
        adjectives = entry.kind == "place" and entry.adjectives
        mentions: list[int] = []
        for text, rule in [(entry.name, "name"), *((a, "alias") for a in entry.aliases)]:
            found = b.phrases_of(index, text, "mention", rule, person, adjectives=adjectives)
            mentions += found
            names.setdefault(tuple(word_keys(text)), []).extend(found)
            if person and entry.surname and len(word_keys(text)) > 1:
                mentions += b.phrases_of(index, text, "mention", "surname", person, last_only=True)
        context = [p for c in entry.context for p in b.phrases_of(index, c, "context", "context", False)]
        exclude = [p for x in entry.exclude for p in b.phrases_of(index, x, "exclude", "exclude", person)]
        plans.append(Plan(entry, tuple(dict.fromkeys(mentions)), tuple(context), tuple(exclude), None, ()))
    # Queries last: a query word that is an entry's name or alias stands for all of its spellings.
    by_entry: dict[int, list[int]] = {}
    for i, phrase in enumerate(b.phrases):
        if phrase.role == "mention":
            by_entry.setdefault(phrase.entry, []).append(i)
    for index, entry in enumerate(entries):
        if entry.query is None:
            continue
        query = parse_query(entry.query)
        literals = []
        for term in terms(query):
            own = b.phrases_of(index, term.text, "literal", term.text, False, prefix_last=term.prefix)
            same = {b.phrases[p].entry for p in names.get(tuple(word_keys(term.text)), [])}
            linked = [p for e in sorted(same) for p in by_entry.get(e, [])]
            literals.append((term, tuple(dict.fromkeys(own + linked))))
        plan = plans[index]
        plans[index] = Plan(plan.entry, plan.mentions, plan.context, plan.exclude, query, tuple(literals))
    ends: dict[int, list[int]] = {}
    for i, phrase in enumerate(b.phrases):
        for wid in phrase.words[-1]:
            ends.setdefault(wid, []).append(i)
    by_stem: dict[str, list[int]] = {}
    for i, word in enumerate(b.words):
        by_stem.setdefault(word.stem, []).append(i)
    automaton = None
    if by_stem:
        # A DFA: twice the speed of the compact automaton, for some 0.5 kB per entry. Every stem starts with
        # the space before its word, and for patterns that share one first byte the library jumps from one
        # to the next with memchr, which costs more than it saves at a space every six letters. Patterns with
        # other first bytes turn that off; they hold a NUL, which no folded text does, so they never match.
        patterns = [(" " + stem).encode("ascii") for stem in by_stem] + [bytes([c, 0]) for c in b"etao"]
        automaton = ahocorasick_rs.BytesAhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.DFA)
    queried_by: dict[int, list[int]] = {}
    for index, plan in enumerate(plans):
        for _, pids in plan.literals:
            for pid in pids:
                queried_by.setdefault(pid, []).append(index)
    return Tables(tuple(b.words), tuple(b.phrases), tuple(plans), {k: tuple(v) for k, v in ends.items()},
                  {k: tuple(dict.fromkeys(v)) for k, v in queried_by.items()}, automaton,
                  tuple(tuple(ids) for ids in by_stem.values()),
                  # whether the stem ends a phrase: first names, say, end none, and no match starts with them
                  tuple(any(i in ends for i in ids) for ids in by_stem.values()),
                  tuple(word.any_tails() for word in b.words))
