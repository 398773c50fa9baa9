"""One pass of the automaton over a folded text, then phrases and per-entry decisions.

Positions here are offsets into the folded string (``" key key "``); the matcher maps them back
to the original text only for items that matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from watcher.config.query import And, Near, Not, Query, Term
from watcher.match.compile import Tables

# Russian and Armenian patronymics may stand between first name and surname
# (Vladimir Vladimirovich Putin, Nikol Vovayi Pashinyan).
_PATRONYMIC = re.compile(r"(?:ovic|evic|ovn|evn|ici|aii|ai)[a-z]{0,3}$")


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in a folded text: [start, end) over its words, and each word's ending."""

    phrase: int
    start: int
    end: int
    words: tuple[int, ...]  # the spelling variant found at each position
    tails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A mention of an entry kept or rejected (``reason`` says why not), or a query that held."""

    entry: int
    field: str
    hit: Hit
    rule: str  # the phrase's rule, or "query"
    reason: str = ""
    namesake: str = ""  # the given name or initial beside a surname that makes it someone else's (Arsen, T.)


Candidate = tuple[int, int, int]  # automaton pattern (Tables.stems), the space before the stem, its end


def candidates(tables: Tables, folded: bytes) -> list[Candidate]:
    """The automaton's pass: where a word of ``folded`` (``fold_bytes``) starts with a stem (usually nowhere)."""
    if tables.automaton is None:
        return []
    # Overlapping: a word may start with several stems (Karam, Karamil), each reported at its end.
    return tables.automaton.find_matches_as_indexes(folded, overlapping=True)


def ends_phrase(tables: Tables, found: list[Candidate]) -> bool:
    """Whether a stem that ends a phrase is among ``found``: without one, nothing can match."""
    last = tables.last
    return any(last[pattern] for pattern, _, _ in found)


def ends_with_tail(tables: Tables, found: list[Candidate], folded: bytes) -> bool:
    """Whether a word that ends a phrase is among ``found`` with an ending it may take in some script
    (``scan`` looks no further for such a word: Karamilovsky names no Karamilov)."""
    last, stems, loose, ends = tables.last, tables.stems, tables.loose, tables.ends
    for pattern, _, end in found:
        if last[pattern]:
            tail = folded[end:folded.index(b" ", end)].decode("ascii")
            for wid in stems[pattern]:
                tails = loose[wid]
                if wid in ends and (tails is None or tail in tails):
                    return True
    return False


def scan(tables: Tables, folded: str,
         seen: list[Candidate] | None = None) -> list[Hit]:
    """Every phrase occurrence in ``folded``, with the endings of any script (the matcher checks scripts).

    ``seen``: the ``candidates`` of ``folded`` when the caller already has them.
    """
    words: dict[int, list[tuple[int, int, str]]] = {}
    loose, stems = tables.loose, tables.stems
    for pattern, space, end in candidates(tables, folded.encode("ascii")) if seen is None else seen:
        tail_end = folded.index(" ", end)
        tail = folded[end:tail_end]
        start = space + 1
        for wid in stems[pattern]:
            tails = loose[wid]
            if tails is None or tail in tails:
                words.setdefault(start, []).append((wid, tail_end, tail))
    if not words:
        return []
    hits: list[Hit] = []
    ends = tables.ends
    for start, found in words.items():
        for wid, tail_end, tail in found:
            for pid in ends.get(wid, ()):
                if len(tables.phrases[pid].words) == 1:  # a surname, an alias of one word: no walking back
                    hits.append(Hit(pid, start, tail_end, (wid,), (tail,)))
                    continue
                hit = _back(tables, folded, words, pid, start, tail_end, wid, tail)
                if hit is not None:
                    hits.append(hit)
    return hits


def _back(tables: Tables, folded: str, words: dict[int, list[tuple[int, int, str]]], pid: int,
          start: int, end: int, wid: int, tail: str) -> Hit | None:
    """The phrase ending with the word at ``start``, walking back (the last word is the rarest: a surname)."""
    phrase = tables.phrases[pid]
    found, tails = [wid], [tail]
    for n in range(len(phrase.words) - 2, -1, -1):
        previous = _word_before(folded, words, start, phrase.words[n])
        if previous is None and phrase.person and n == len(phrase.words) - 2:
            middle = _start_before(folded, start)
            if middle is not None and _PATRONYMIC.search(folded[middle:folded.index(" ", middle)]):
                previous = _word_before(folded, words, middle, phrase.words[n])
        if previous is None:
            return None
        start, wid, tail = previous
        found.append(wid)
        tails.append(tail)
    return Hit(pid, start, end, tuple(reversed(found)), tuple(reversed(tails)))


def _start_before(folded: str, start: int) -> int | None:
    """Where the word before the one at ``start`` begins (None at the beginning)."""
    end = start  # folded text has no whitespace but spaces; no copy of the text (it may be long)
    while end and folded[end - 1] == " ":
        end -= 1
    return folded.rfind(" ", 0, end) + 1 if end else None


def _word_before(folded: str, words: dict[int, list[tuple[int, int, str]]], start: int,
                 allowed: tuple[int, ...]) -> tuple[int, int, str] | None:
    before = _start_before(folded, start)
    if before is None:
        return None
    for wid, _, tail in words.get(before, ()):
        if wid in allowed:
            return before, wid, tail
    return None


def decide(tables: Tables, hits: dict[str, list[Hit]],
           positions: dict[str, Callable[[int], int]]) -> list[Verdict]:
    """Kept and rejected mentions of every entry touched by ``hits`` (per field), plus queries."""
    by_entry: dict[int, list[tuple[str, Hit]]] = {}
    queried: set[int] = set()
    for field, found in hits.items():
        for hit in found:
            by_entry.setdefault(tables.phrases[hit.phrase].entry, []).append((field, hit))
            queried.update(tables.queried_by.get(hit.phrase, ()))
    out: list[Verdict] = []
    for entry in sorted(set(by_entry) | queried):
        plan = tables.plans[entry]
        of_entry = by_entry.get(entry, [])
        roles: dict[str, list[tuple[str, Hit]]] = {"mention": [], "context": [], "exclude": [], "literal": []}
        for field, hit in of_entry:
            roles[tables.phrases[hit.phrase].role].append((field, hit))
        own = set(plan.mentions)
        mentions = _longest([(f, h) for f, h in of_entry if h.phrase in own])
        excluded = roles["exclude"]
        for field, hit in mentions:
            rule = tables.phrases[hit.phrase].rule
            reason = ""
            clash = next((x for f, x in excluded if f == field and x.start < hit.end and hit.start < x.end), None)
            if clash is not None:
                reason = f"inside the excluded phrase {tables.phrases[clash.phrase].spelling!r}"
            elif excluded and rule == "surname":
                reason = (f"surname alone in an item that names {tables.phrases[excluded[0][1].phrase].spelling!r}"
                          " (excluded)")
            elif plan.entry.context and not roles["context"]:
                reason = f"no context word in the item ({', '.join(plan.entry.context)})"
            out.append(Verdict(entry, field, hit, rule, reason))
        if plan.query is not None:
            literal = {id(term): set(pids) for term, pids in plan.literals}
            witness: list[tuple[str, Hit]] = []
            if _holds(plan.query, literal, hits, positions, witness):
                if plan.entry.context and not roles["context"]:
                    reason = f"no context word in the item ({', '.join(plan.entry.context)})"
                else:
                    reason = ""
                if witness:
                    field, hit = min(witness, key=lambda fh: (fh[0] != "title", fh[1].start))
                    out.append(Verdict(entry, field, hit, "query", reason))
    return out


def _longest(found: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    """Drop hits inside a longer hit of the same entry and field (a surname inside the full name)."""
    kept: list[tuple[str, Hit]] = []
    for field, hit in sorted(found, key=lambda fh: (fh[0], fh[1].start, -fh[1].end)):
        if kept and kept[-1][0] == field and hit.start < kept[-1][1].end:
            continue
        kept.append((field, hit))
    return kept


def _holds(node: Query, literal: dict[int, set[int]], hits: dict[str, list[Hit]],
           positions: dict[str, Callable[[int], int]], witness: list[tuple[str, Hit]],
           positive: bool = True) -> bool:
    if isinstance(node, Term):
        found = _term_hits(node, literal, hits)
        if positive:
            witness.extend(found)
        return bool(found)
    if isinstance(node, Not):
        return not _holds(node.item, literal, hits, positions, [], not positive)
    if isinstance(node, Near):
        left = _term_hits(node.left, literal, hits)
        right = _term_hits(node.right, literal, hits)
        pairs = [(fa, a, b) for fa, a in left for fb, b in right if fa == fb
                 and _gap(positions[fa], a, b) <= node.distance]
        if positive:
            witness.extend((f, h) for f, a, b in pairs for h in (a, b))
        return bool(pairs)
    results = [_holds(item, literal, hits, positions, witness, positive) for item in node.items]
    return all(results) if isinstance(node, And) else any(results)


def _term_hits(term: Term, literal: dict[int, set[int]], hits: dict[str, list[Hit]]) -> list[tuple[str, Hit]]:
    pids = literal.get(id(term), set())
    return [(field, h) for field, found in hits.items() if term.field in (None, field)
            for h in found if h.phrase in pids]


def _gap(word_index: Callable[[int], int], a: Hit, b: Hit) -> int:
    """Words strictly between two hits (0 when adjacent or overlapping)."""
    first, second = (a, b) if a.start <= b.start else (b, a)
    return max(0, word_index(second.start) - word_index(first.end))
