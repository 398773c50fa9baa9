"""Emerging names: people and organisations on no list that appear more and more beside watched entries.

A name is a sequence of capitalised words (Latin, Cyrillic, Armenian) in the title or lead of an item that
mentions a watched entry. Each word folds to the matcher's spelling key (``normalize.key``: Тоноян, Տոնոյան and
Tonoyan are one key), doubled letters and a word-initial "ie" (Ye-, Е-) merged. A Russian or Armenian word may
carry a case ending (Тонояна, Тонояну, Տոնոյանի): of the stems its ending list (``inflect.endings``) allows, the
word takes the one that most distinct spellings seen share, so the Latin Tonoyan and the nominative Тоноян pull
Тонояна to their key. A one-word name joins the one longer name that ends with it (Tonoyan: Arsen Tonoyan).

What is not an emerging name: the words of watched entries (their names and aliases; a person's given names
aside, which others share), the common capitalised words of ``words/common.txt`` (months, weekdays, titles,
countries and capitals, words that start sentences, in three languages), the outlets' own names, and a word
that opens a sentence unless the same word is seen capitalised inside one somewhere. A title written in
English title case says nothing about names and is skipped (the lead still counts).

A name emerges when it is in at least MIN_ITEMS items from MIN_OUTLETS outlets in the window, and GROWTH times
as many per window as in the earlier span (its own history). Pure: items in, frozen values out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from watcher.config.schema import Watchlist
from watcher.match.inflect import endings
from watcher.match.normalize import key, script
from watcher.models import MentionedItem
from watcher.report.parts import Outlets, clean_text

MIN_ITEMS = 3
MIN_OUTLETS = 2
GROWTH = 2.0  # items in the window against the mean per window-length of the earlier span
FLOOR = 0.5  # the lowest earlier rate, so that a first appearance must still reach MIN_ITEMS
MAX_EMERGING = 5  # in a digest; `watcher emerging` lists more
LEAD_CHARS = 600  # of an item's text: what is read beside its title
MAX_WITH = 5

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſƏİŞÇĞ\u0400-\u042f\u0531-\u0556"
_WORD = rf"[{_UPPER}][\w\u0300-\u036f\u055b-\u055f\u00ad]*(?:-[\w]+)*"
_SEQUENCE = re.compile(rf"(?<![\w-]){_WORD}(?:[ \u00a0]{_WORD}){{0,3}}(?![\w])")
_WORD_RE = re.compile(_WORD)
_CAPITAL_PAIR = re.compile(rf"[{_UPPER}]{{2}}")
_SENTENCE_END = ".!?։:…\n"
_OPENERS = " \t\"'«“„‘(—–-"
_DOUBLED = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class EmergingName:
    """A name on no list, how often it came beside watched entries, and how to put it on the watchlist."""

    key: str  # folded words, one key in every script
    name: str  # its Latin spelling when seen, else the commonest
    spellings: tuple[tuple[str, str], ...]  # (script, the commonest spelling in it): latin, cyrillic, armenian, azeri
    items: int  # in the window
    outlets: int
    before: float  # items per window-length in the earlier span
    with_entries: tuple[str, ...]  # ids of the watched entries it appears with, most items first (JSON: ``with``)
    watchlist_yaml: str = ""  # one entry, ready to paste under ``actors:``
    growth: float = field(default=0.0)  # items / max(before, FLOOR)


def find_emerging(current: Iterable[MentionedItem], earlier: Iterable[MentionedItem], watchlist: Watchlist,
                  outlets: Outlets | None = None, *, spans: float = 1.0,
                  limit: int | None = MAX_EMERGING) -> tuple[EmergingName, ...]:
    """The emerging names of the window (``current``: its items) against ``earlier`` items, which cover ``spans``
    window-lengths. Only items that mention a watched entry count; their text is read up to LEAD_CHARS."""
    outlets = outlets or Outlets()
    now = [i for i in current if i.mentions]
    before = [i for i in earlier if i.mentions]
    found = {i.id: _sequences(i) for i in (*now, *before)}
    words = {w for seqs in found.values() for seq, _ in seqs for w in seq}
    canon = _Canon(words)
    mid = {canon(w) for seqs in found.values() for seq, start in seqs for w in seq[1 if start else 0:]}
    ignored = _ignored(watchlist, outlets, now, before)
    named: dict[int, list[tuple[str, tuple[str, ...]]]] = {}  # item -> (key, words as written)
    known: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}  # news repeats its names: each read once
    for item_id, seqs in found.items():
        names = []
        for seq, start in seqs:
            if start and canon(seq[0]) not in mid:
                seq = seq[1:]
            if seq not in known:
                known[seq] = [(" ".join(canon(w) for w in kept), kept) for kept in _names_in(seq, canon, ignored)]
            names += known[seq]
        named[item_id] = names
    joined = _longer(k for names in named.values() for k, _ in names)
    counts: dict[str, _Tally] = defaultdict(_Tally)
    for item in now:
        for name_key, written in named[item.id]:
            counts[joined.get(name_key, name_key)].add(item, written, outlets)
    earlier_items: Counter[str] = Counter()
    for item in before:
        for name_key in {joined.get(k, k) for k, _ in named[item.id]}:
            earlier_items[name_key] += 1
    out = []
    for name_key, tally in counts.items():
        rate = earlier_items[name_key] / spans if spans > 0 else 0.0
        n = len(tally.items)
        if n < MIN_ITEMS or len(tally.outlets) < MIN_OUTLETS or n < GROWTH * max(rate, FLOOR):
            continue
        out.append(tally.emerging(name_key, canon, rate))
    out.sort(key=lambda e: (-e.items, -e.outlets, -e.growth, e.key))
    return tuple(out if limit is None else out[:limit])


class _Tally:
    """One name's items in the window, the outlets and entries beside it and its spellings."""

    def __init__(self) -> None:
        self.items: set[int] = set()
        self.outlets: set[str] = set()
        self.entries: Counter[str] = Counter()
        self.written: Counter[tuple[str, ...]] = Counter()

    def add(self, item: MentionedItem, written: tuple[str, ...], outlets: Outlets) -> None:
        self.written[written] += 1
        if item.id in self.items:
            return
        self.items.add(item.id)
        self.outlets.add(outlets.name(item.publisher, item.source).casefold())
        self.entries.update({m.entry_id for m in item.mentions})

    def emerging(self, name_key: str, canon: _Canon, rate: float) -> EmergingName:
        spellings = _spellings(self.written, canon, len(name_key.split()))
        name = spellings.get("latin") or next(iter(spellings.values()))
        with_entries = tuple(e for e, _ in sorted(self.entries.items(), key=lambda en: (-en[1], en[0]))[:MAX_WITH])
        return EmergingName(key=name_key, name=name, spellings=tuple(spellings.items()), items=len(self.items),
                            outlets=len(self.outlets), before=round(rate, 2), with_entries=with_entries,
                            watchlist_yaml=watchlist_yaml(name, spellings), growth=round(len(self.items) / max(rate, FLOOR), 2))


def _spellings(written: Counter[tuple[str, ...]], canon: _Canon, words: int) -> dict[str, str]:
    """Per script, the commonest spelling of the whole name, its uninflected forms first (Тоноян before Тонояна)."""
    best: dict[str, tuple[tuple[bool, bool, int, int], str]] = {}
    for seq, n in written.items():
        plain = all(_folded(w) == canon(w) for w in seq)
        rank = (len(seq) == words, plain, -len(seq[-1]), n)
        text = " ".join(seq)
        where = script(text)
        if where == "armenian":
            text = text.removesuffix("ը")  # the article: Տոնոյանը is Տոնոյան
        if where not in best or rank > best[where][0]:
            best[where] = (rank, text)
    order = ("latin", "cyrillic", "armenian", "azeri")
    return {s: best[s][1] for s in order if s in best}


def watchlist_yaml(name: str, spellings: Mapping[str, str]) -> str:
    """One actor entry for ``watchlist.yaml``: an id from the name's key, the name, its other spellings as aliases."""
    words = _WORD_RE.findall(name)
    ascii_words = [w.lower() for w in words if w.isascii()]
    ident = "-".join(ascii_words if len(ascii_words) == len(words) else [_folded(w) for w in words]) or "new-name"
    aliases = [s for s in spellings.values() if s != name]
    kind = ", kind: organization" if name.isupper() else ""
    also = f", aliases: [{', '.join(aliases)}]" if aliases else ""
    return f"- {{id: {ident}, name: {name}{kind}{also}}}"


def _sequences(item: MentionedItem) -> list[tuple[tuple[str, ...], bool]]:
    """The capitalised word sequences of the item's title (unless in title case) and lead, each with whether it
    opens a sentence; none of a text in capitals."""
    lead = (item.text or "")[:LEAD_CHARS] if item.text and item.text != item.title else ""
    out: list[tuple[tuple[str, ...], bool]] = []
    for text, headline in ((item.title, True), (lead, False)):
        found = list(_SEQUENCE.finditer(text)) if text else []
        if not found:
            continue
        words = [tuple(m.group().split()) for m in found]
        # An English headline With Every Word Capitalised, or a text in capitals, says nothing of names.
        capitals = sum(map(len, words))
        if headline and text.isascii() and capitals >= 3 and capitals >= 0.6 * len(text.split()):
            continue
        if 4 * len(_CAPITAL_PAIR.findall(text)) > len(text):
            continue
        for m, seq in zip(found, words, strict=True):
            at = m.start() - 1
            while at >= 0 and text[at] in _OPENERS:  # back over spaces, quotes and dashes to what came before
                at -= 1
            out.append((seq, at < 0 or text[at] in _SENTENCE_END))
    return out


def _names_in(seq: Sequence[str], canon: _Canon, ignored: _Ignored) -> list[tuple[str, ...]]:
    """The names a capitalised sequence holds: its runs between common and watched words (and the given name of a
    watched person beside the surname: Nikol Pashinyan), each long enough to be a name."""
    marks = [ignored.watched(w, canon) for w in seq]
    cut = [m or ignored.common(w, canon) or (ignored.given(w, canon) and any(marks[max(n - 1, 0):n + 2]))
           for n, (w, m) in enumerate(zip(seq, marks, strict=True))]
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for word, out in zip((*seq, ""), (*cut, True), strict=True):
        if not out:
            run.append(word)
            continue
        if run and sum(len(canon(w)) for w in run) >= 4:
            runs.append(tuple(run))
        run = []
    return runs


def _longer(keys: Iterable[str]) -> dict[str, str]:
    """A one-word key -> the one longer key that ends with it (Tonoyan -> Arsen Tonoyan), when there is one."""
    distinct = set(keys)
    ends: dict[str, set[str]] = defaultdict(set)
    for k in distinct:
        parts = k.split()
        if len(parts) > 1:
            ends[parts[-1]].add(k)
    return {k: next(iter(ends[k])) for k in distinct if " " not in k and len(ends.get(k, ())) == 1}


@lru_cache(maxsize=65536)
def _folded(word: str) -> str:
    """A word's spelling key with doubled letters and a word-initial "ie" merged."""
    k = _DOUBLED.sub(r"\1", key(word))
    return k[1:] if k.startswith("ie") else k


@lru_cache(maxsize=65536)
def _stems(word: str) -> tuple[str, ...]:
    """The keys a word may stand for: itself and, in Cyrillic and Armenian, without a case ending."""
    k = _folded(word)
    where = script(word)
    if where not in ("cyrillic", "armenian"):
        return (k,)
    stems = {k[:-len(e)] for e in endings()[where] if e and len(k) - len(e) >= 4 and k.endswith(e)}
    return (k, *sorted(stems, key=len, reverse=True))


class _Canon:
    """Each word's key: of its stems, the one most distinct spellings seen share (ties: the longer)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._stems = {w: _stems(w) for w in set(words)}
        self._support: Counter[str] = Counter(s for stems in self._stems.values() for s in stems)
        self._chosen: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        found = self._chosen.get(word)
        if found is None:
            stems = self._stems.get(word) or _stems(word)
            found = self._chosen[word] = max(stems, key=lambda s: (self._support[s], len(s)))
        return found


class _Ignored:
    """The words that never make a name: watched names, common capitalised words, outlets' names."""

    def __init__(self, watched: frozenset[str], common: frozenset[str], given: frozenset[str]) -> None:
        self._watched = watched
        self._common = common
        self._given = given

    def watched(self, word: str, canon: _Canon) -> bool:
        return canon(word) in self._watched or _folded(word) in self._watched

    def given(self, word: str, canon: _Canon) -> bool:
        return canon(word) in self._given

    def common(self, word: str, canon: _Canon) -> bool:
        return canon(word) in self._common or any(s in self._common for s in _stems(word)) or len(_folded(word)) < 2


def _ignored(watchlist: Watchlist, outlets: Outlets, *items: Sequence[MentionedItem]) -> _Ignored:
    watched: set[str] = set()
    given: set[str] = set()
    for entry in watchlist.entries:
        for text in (entry.name, *entry.aliases):
            words = _WORD_RE.findall(text) or text.split()
            # A person's given names are other people's too: only the surname (and one-word names) is theirs, and
            # the given names only beside it.
            own = words[-1:] if entry.kind == "person" and len(words) > 1 else words
            watched.update(s for w in own for s in _stems(w))
            if entry.kind == "person":
                given.update(s for w in words[:-1] for s in _stems(w))
    outlet_words = {outlets.name(i.publisher, i.source) for group in items for i in group}
    common = set(common_words())
    common.update(s for name in outlet_words for w in name.split() for s in _stems(w))
    return _Ignored(frozenset(watched), frozenset(common), frozenset(given))


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The keys of ``words/common.txt``: capitalised words that are no names, in three languages."""
    text = files("watcher.report").joinpath("words", "common.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return frozenset(s for line in lines for w in line.replace(",", " ").split() for s in _stems(w))


def spelled_out(e: EmergingName) -> str:
    """The name and its spellings on one line, for logs and plain listings."""
    return clean_text(" / ".join(dict.fromkeys((e.name, *(s for _, s in e.spellings)))))
