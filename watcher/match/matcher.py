"""The compiled matcher: one automaton pass per field, original offsets only for items that matched."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate, islice
from collections.abc import Callable, Mapping, Sequence

from watcher.config.schema import EntryConfig
from watcher.match.compile import Tables, compile_tables
from watcher.match.explain import Explanation, explain
from watcher.match.normalize import CHUNK_RE, TOKEN_RE, fold, fold_chunk, key, mask_links, mask_tags, script
from watcher.match.scan import Hit, Verdict, decide, scan
from watcher.match.snippet import snippet
from watcher.models import Field, Item, Match

FIELDS: tuple[Field, ...] = ("title", "text")


class Matcher:
    """A compiled watchlist; immutable after construction, so one instance serves every thread."""

    __slots__ = ("_tables",)

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

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
        folded = {f: fold(t) for f, t in fields.items() if t}
        hits = {f: scan(self._tables, s) for f, s in folded.items()}
        if not any(hits.values()):
            return ()
        rough = decide(self._tables, hits, {f: _word_index(s) for f, s in folded.items()})
        if all(v.reason for v in rough):
            return ()
        verdicts, located = self._verdicts(fields, folded, hits)
        return tuple(self._to_match(v, fields, located) for v in _kept(verdicts))

    def verdicts(self, title: str, text: str = "") -> tuple[list[Verdict], dict[str, _Located]]:
        """Kept and rejected mentions, with each field's words located in the original text."""
        fields = {"title": title or "", "text": text or ""}
        folded = {f: fold(t) for f, t in fields.items() if t}
        return self._verdicts(fields, folded, {f: scan(self._tables, s) for f, s in folded.items()})

    def _verdicts(self, fields: dict[str, str], folded: dict[str, str],
                  hits: dict[str, list[Hit]]) -> tuple[list[Verdict], dict[str, _Located]]:
        # The scan accepted any script's endings; now each word's own script decides (Putina is a
        # Russian genitive only when written Путина).
        located = {f: _Located(fields[f], folded[f]) for f, found in hits.items() if found}
        checked = {f: [h for h in found if located[f].accepts(h, self._tables)] for f, found in hits.items()}
        positions = {f: _word_index(s) for f, s in folded.items()}
        return decide(self._tables, checked, positions), located

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
        words = [self._tables.words[w] for w in phrase.words]
        if any(tail != word.own for tail, word in zip(verdict.hit.tails, words)):
            return "inflection", phrase.spelling
        written = [w for w in TOKEN_RE.findall(phrase.spelling) if key(w)]
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
    """Finds the original words behind positions of a field's folded text (only for items that matched)."""

    __slots__ = ("text", "folded", "_chunks", "_starts", "_ends", "_words")

    def __init__(self, text: str, folded: str) -> None:
        self.text = text
        self.folded = folded
        masked = mask_tags(text)
        # C-level iteration only: this runs for every item that matched, over the whole field
        self._chunks = masked.split()
        self._starts = list(map(re.Match.start, CHUNK_RE.finditer(masked)))
        self._ends = list(accumulate(map(len, map(str.split, map(fold_chunk, self._chunks)))))
        self._words: dict[int, tuple[int, int]] = {}

    def word(self, index: int) -> tuple[int, int]:
        """Offsets of the ``index``-th word of the fold in the original text."""
        if index not in self._words:
            k = bisect_right(self._ends, index)
            inside = [m for m in TOKEN_RE.finditer(mask_links(self._chunks[k])) if key(m.group())]
            m = inside[index - (self._ends[k - 1] if k else 0)]
            self._words[index] = (self._starts[k] + m.start(), self._starts[k] + m.end())
        return self._words[index]

    def indexes(self, hit: Hit) -> tuple[int, int]:
        """Index of the first and the last word a hit covers."""
        return self.folded.count(" ", 0, hit.start) - 1, self.folded.count(" ", 0, hit.end) - 1

    def span(self, hit: Hit) -> tuple[int, int]:
        """Offsets in the original text of the words a hit covers."""
        first, last = self.indexes(hit)
        return self.word(first)[0], self.word(last)[1]

    def words(self, hit: Hit) -> list[str]:
        """The original words a hit covers."""
        first, last = self.indexes(hit)
        return [self.text[s:e] for s, e in map(self.word, range(first, last + 1))]

    def accepts(self, hit: Hit, tables: Tables) -> bool:
        """Whether each word's ending is an ending of the script it is written in."""
        first, last = self.indexes(hit)
        ids = tables.phrases[hit.phrase].words
        places = [first + n for n in range(len(ids) - 1)] + [last]
        for wid, tail, index in zip(ids, hit.tails, places):
            start, end = self.word(index)
            if not tables.words[wid].accepts(tail, script(self.text[start:end])):
                return False
        return True


def _word_index(folded: str) -> Callable[[int], int]:
    return lambda position: folded.count(" ", 0, position)


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

