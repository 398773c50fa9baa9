"""The compiled matcher: one automaton pass per field, original offsets only for items that matched.

Speed layer (``match_text``): one fold and one automaton pass over title and text joined, before blanking links,
and a stop where no stem that ends a phrase starts a word (or only with an ending it never takes); each field
cut out of the joined fold; offsets only for what matched. ~29 µs an item where the full path (``verdicts``:
blank, fold and scan each field, decide, locate) takes ~44 µs (the shared corpus at 5,000 entries). Without it
every result is the same: tests/test_match_paths.py holds ``match_text`` equal to the full path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from watcher.config.schema import EntryConfig
from watcher.match.compile import Tables, compile_tables, variants
from watcher.match.explain import Explanation, explain
from watcher.match.letters import TOKEN_RE
from watcher.match.namesakes import Given, Namesake, given_of, judge
from watcher.match.normalize import (
    Prepared,
    fold_bytes,
    fold_prepared,
    key,
    masked,
    masking_may_add,
    may_blank,
    parts,
    prepare,
    script,
    spelled,
)
from watcher.match.offsets import Offsets
from watcher.match.scan import Candidate, Hit, Verdict, candidates, decide, ends_phrase, ends_with_tail, scan
from watcher.match.snippet import snippet
from watcher.models import Field, Item, Match

FIELDS: tuple[Field, ...] = ("title", "text")
_WORD = re.compile(r"\S+")


class Matcher:
    """A compiled watchlist; immutable after construction, so one instance serves every thread."""

    __slots__ = ("_given", "_tables")

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._given: dict[int, Given | None] = {}  # each person's own given names, on its first surname hit

    @property
    def entries(self) -> tuple[EntryConfig, ...]:
        """The entries this matcher was compiled from, in order."""
        return tuple(plan.entry for plan in self._tables.plans)

    def match(self, item: Item) -> tuple[Match, ...]:
        """Every mention of a watch entry in the item's title and text."""
        return self.match_text(item.title, item.text)

    def match_text(self, title: str, text: str = "") -> tuple[Match, ...]:
        """Every mention of a watch entry in ``title`` and ``text``."""
        fields = {"title": title or "", "text": text or ""}
        # Most items name nobody: look at both fields at once (one fold, one automaton pass), before
        # blanking links and tags, which only removes candidates, and go on only where a stem that ends
        # a phrase starts a word.
        joined = f"{fields['title']}\n{fields['text']}"
        both = spelled(joined)
        data = fold_bytes(both)
        seen = None if masking_may_add(both) else candidates(self._tables, data)
        if seen is not None:
            if not seen or not ends_phrase(self._tables, seen):
                return ()
            # Such a word with an ending it never takes is no mention, unless blanking a link glued to it
            # would cut that ending off.
            if not ends_with_tail(self._tables, seen, data) and not may_blank(joined):
                return ()
        prepared: dict[str, Prepared] = {}
        folded: dict[str, str] = {}
        hits: dict[str, list[Hit]] = {}
        for f, (spelt, fold, near) in _split(both, data, seen, len(fields["title"])).items():
            if not fields[f] or (near is not None and not ends_phrase(self._tables, near)):
                continue  # no hit can end in this field
            blanked = masked(fields[f])
            if blanked != fields[f] or near is None:
                spelt = spelled(blanked)
                fold = fold_prepared(spelt)
                near = None
            prepared[f], folded[f], hits[f] = spelt, fold, scan(self._tables, fold, near)
        if not any(hits.values()):
            return ()
        rough = decide(self._tables, hits, {f: _word_index(s) for f, s in folded.items()})
        if all(v.reason for v in rough):
            return ()
        found = tuple(f for f, fh in hits.items() if fh)
        if all(self._base_form(h) for fh in hits.values() for h in fh):  # no ending whose script matters
            located = {f: _Located(fields[f], prepared[f], folded[f]) for f in found}
            verdicts = self._namesakes(rough, fields, located)
        else:
            verdicts, located = self._verdicts(fields, found, prepared, folded, hits)
        return tuple(self._to_match(v, fields, located) for v in _kept(verdicts))

    def _base_form(self, hit: Hit) -> bool:
        table = self._tables.words
        return all(tail == table[wid].own for wid, tail in zip(hit.words, hit.tails, strict=True))

    def verdicts(self, title: str, text: str = "") -> tuple[list[Verdict], dict[str, _Located]]:
        """Kept and rejected mentions, with each field's words located in the original text."""
        fields = {"title": title or "", "text": text or ""}
        prepared = {f: prepare(t) for f, t in fields.items() if t}
        folded = {f: fold_prepared(p) for f, p in prepared.items()}
        hits = {f: scan(self._tables, s) for f, s in folded.items()}
        return self._verdicts(fields, tuple(folded), prepared, folded, hits)

    def _verdicts(self, fields: dict[str, str], found: tuple[str, ...], prepared: dict[str, Prepared],
                  folded: dict[str, str], hits: dict[str, list[Hit]]) -> tuple[list[Verdict], dict[str, _Located]]:
        located = {f: _Located(fields[f], prepared[f], folded[f]) for f in found}
        # The scan accepted any script's endings; now each word's own script decides (Putina is a
        # Russian genitive only when written Путина).
        checked = {f: [h for h in hits[f] if self._base_form(h) or located[f].accepts(h, self._tables)]
                   for f in found}
        positions = {f: _word_index(loc.folded) for f, loc in located.items()}
        return self._namesakes(decide(self._tables, checked, positions), fields, located), located

    def _namesakes(self, verdicts: list[Verdict], fields: dict[str, str], located: dict[str, _Located]) -> list[Verdict]:
        """The verdicts with persons' mentions that name someone else rejected (see namesakes.py)."""
        if all(v.reason for v in verdicts):
            return verdicts
        plans, phrases = self._tables.plans, self._tables.phrases
        return judge(verdicts, fields, lambda v: located[v.field].span(v.hit),
                     lambda entry: plans[entry].entry.kind == "person",
                     lambda v: len(phrases[v.hit.phrase].words) == 1, self._given_names)

    def _given_names(self, entry: int) -> Given | None:
        if entry not in self._given:  # a dict's reads and writes are atomic: threads at worst compute it twice
            self._given[entry] = given_of(self._tables.plans[entry].entry, variants)
        return self._given[entry]

    def namesakes(self, title: str, text: str = "") -> tuple[Namesake, ...]:
        """The persons' surnames that the item gives to someone else (Arsen Babayan for Samvel Babayan)."""
        both = spelled(f"{title}\n{text}")
        if not masking_may_add(both):
            seen = candidates(self._tables, fold_bytes(both))
            if not seen or not ends_phrase(self._tables, seen):
                return ()
        verdicts, located = self.verdicts(title, text)
        out = []
        for v in verdicts:
            if v.namesake:
                start, end = located[v.field].span(v.hit)
                surname = (title if v.field == "title" else text)[start:end]
                out.append(Namesake(self._tables.plans[v.entry].entry.id, v.namesake, surname, v.field, start, end))
        return tuple(sorted(out, key=lambda n: (n.field != "title", n.start)))

    def explain(self, text: str) -> list[Explanation]:
        """Which entries match ``text`` (as a text field) and how, and near misses with the reason."""
        return explain(self, self._tables, text)

    def describe(self, verdict: Verdict, located: _Located) -> tuple[str, str]:
        """The rule of a verdict (name, surname, alias, translit, inflection, query) and its spelling."""
        phrase = self._tables.phrases[verdict.hit.phrase]
        if verdict.rule == "query":
            return "query", phrase.spelling
        if phrase.rule == "alias":
            return "alias", phrase.spelling
        table = self._tables.words
        for tail, wid, options in zip(verdict.hit.tails, verdict.hit.words, phrase.words, strict=True):
            if tail not in {table[o].own for o in options if table[o].stem == table[wid].stem}:
                return "inflection", phrase.spelling
        written = _written(phrase.spelling)
        if phrase.rule == "surname":
            written = written[-1:]
        found = located.words(verdict.hit)
        if [_plain(w) for w in written] != [_plain(w) for w in (found[:1] + found[-1:] if len(found) > 2 else found)]:
            return "translit", phrase.spelling
        return phrase.rule, phrase.spelling

    def _to_match(self, verdict: Verdict, fields: dict[str, str], located: dict[str, _Located]) -> Match:
        field: Field = "title" if verdict.field == "title" else "text"
        loc = located[field]
        start, end = loc.span(verdict.hit)
        rule, _ = self.describe(verdict, loc)
        original = fields[field]
        return Match(entry_id=self._tables.plans[verdict.entry].entry.id, field=field, text=original[start:end],
                     start=start, end=end, snippet=snippet(original, start, end), rule=rule)


class _Located:
    """The original words behind positions of a field's folded text (only for items that matched)."""

    __slots__ = ("_offsets", "_spans", "folded", "text")

    def __init__(self, text: str, prepared: Prepared, folded: str) -> None:
        self.text = text
        self.folded = folded
        self._offsets = Offsets(prepared)
        self._spans: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def spans(self, hit: Hit) -> list[tuple[int, int]]:
        """Original offsets of each word a hit covers."""
        where = (hit.start, hit.end)
        if where not in self._spans:  # several phrases (name, alias, surname) often cover the same words
            self._spans[where] = [(self._offsets.start(m.start()), self._offsets.end(m.end()))
                                  for m in _WORD.finditer(self.folded, hit.start, hit.end)]
        return self._spans[where]

    def span(self, hit: Hit) -> tuple[int, int]:
        """Offsets in the original text of the words a hit covers."""
        spans = self.spans(hit)  # its first word starts it and its last word ends it
        return spans[0][0], spans[-1][1]

    def words(self, hit: Hit) -> list[str]:
        """The original words a hit covers."""
        return [self.text[s:e] for s, e in self.spans(hit)]

    def accepts(self, hit: Hit, tables: Tables) -> bool:
        """Whether each word's ending is an ending of the script it is written in."""
        found = self.words(hit)
        # a patronymic may stand between the first words and the last
        written = found[:len(hit.words) - 1] + found[-1:]
        return all(tables.words[wid].accepts(tail, script(word))
                   for wid, tail, word in zip(hit.words, hit.tails, written, strict=False))


def _split(both: Prepared, data: bytes, seen: list[Candidate] | None,
           cut: int) -> dict[str, tuple[Prepared, str, list[Candidate] | None]]:
    """Each field's spelling, fold and candidates, cut out of those of ``title + "\\n" + text`` (``cut``: the
    title's length). The fold is one character at a time (a chunk between spaces at a time without a
    codec), so the title folded the same way ends where the text's fold starts, the newline between."""
    title, text = parts(both, cut)
    fold = fold_prepared(title)
    at = len(fold) - 1  # the space of the newline
    if seen is None:
        return {"title": (title, fold, None), "text": (text, data[at:].decode("ascii"), None)}
    return {"title": (title, fold, [c for c in seen if c[1] < at]),
            "text": (text, data[at:].decode("ascii"), [(p, space - at, end - at) for p, space, end in seen if space >= at])}


def _word_index(folded: str) -> Callable[[int], int]:
    return lambda position: len(folded[:position].split())


@lru_cache(maxsize=4096)
def _written(spelling: str) -> tuple[str, ...]:
    return tuple(w for w in TOKEN_RE.findall(spelling) if key(w))


@lru_cache(maxsize=65536)
def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _kept(verdicts: list[Verdict]) -> list[Verdict]:
    """Mentions that count, a query match only where no mention of its entry already is."""
    kept = [v for v in verdicts if not v.reason]
    mentions = [v for v in kept if v.rule != "query"]
    out = [v for v in kept if v.rule != "query" or not any(
        m.entry == v.entry and m.field == v.field and m.hit.start < v.hit.end and v.hit.start < m.hit.end
        for m in mentions)]
    return sorted(out, key=lambda v: (FIELDS.index(v.field) if v.field in FIELDS else 2, v.hit.start, v.entry))


def compile_matcher(entries: Sequence[EntryConfig], *, queries: Mapping[str, str] | None = None) -> Matcher:
    """Compile watch entries (actors and terms), and optional named queries (situations), once per load.

    A named query's matches carry its name as ``entry_id`` and the rule "query".
    """
    return Matcher(compile_tables(entries, queries))

