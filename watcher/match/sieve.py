"""A query over many stored items: the items it holds on, with the matcher asked only where it may.

Speed layer: the key items step of a first digest (``bench/digest_speed.py --stages``, whole store, 40,131
items) takes ~0.34 s CPU with it, ~1.14 s asking the matcher of every item. A query holds only where the
terms it needs are found, and a term is found only where the stem of the last word of one of its phrases
starts a word of the folded text: ``fold_fields`` folds each item once (shared by every situation) and
``QuerySieve.holds`` asks the matcher only when those stems are there. Without it every result is the same,
only slower: tests/test_match_sieve.py holds ``holds`` equal to the matcher on every item.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

from watcher.config.query import And, Near, Not, Query, Term
from watcher.config.schema import EntryConfig
from watcher.match.compile import Tables, compile_tables
from watcher.match.matcher import Matcher
from watcher.match.normalize import fold_bytes, masking_may_add, spelled

Fields = tuple[bytes, bytes, bytes]  # title, text and both, folded as the automaton reads them
Folded = Fields | None  # None: only the matcher can tell


def fold_fields(title: str, text: str) -> Folded:
    """An item's fields folded once for every ``QuerySieve.holds`` asked of it (None: the matcher decides)."""
    folded_title = _folded(title)
    folded_text = folded_title if text == title else _folded(text)  # feeds often repeat the title
    if folded_title is None or folded_text is None:
        return None
    # Folded fields begin and end with a space and a needed string has none after its first: joined, the
    # fields hold a needed string exactly when one of them does.
    return folded_title, folded_text, folded_title + folded_text


def _folded(text: str) -> bytes | None:
    if not text:
        return b""
    spelt = spelled(text)
    if masking_may_add(spelt):  # blanking links may give this text words it lacks now: the matcher decides
        return None
    # Blanking links and tags only takes words away: the words found before it are all there may be.
    return fold_bytes(spelt)


class QuerySieve:
    """One named query compiled with the entries that give its words their spellings (Арцаха is Artsakh)."""

    __slots__ = ("_matcher", "_may_hold", "_query_id")

    def __init__(self, entries: Sequence[EntryConfig], query_id: str, query: str) -> None:
        tables = compile_tables(entries, {query_id: query})
        self._query_id = query_id
        self._matcher = Matcher(tables)
        self._may_hold = _sieve(tables, query_id)

    def holds(self, title: str, text: str, folded: Folded) -> bool:
        """Whether the query matches the item; ``folded`` is ``fold_fields(title, text)``."""
        if folded is not None and self._may_hold is not None and not self._may_hold(folded):
            return False
        return any(m.entry_id == self._query_id for m in self._matcher.match_text(title, text))


def _sieve(tables: Tables, query_id: str) -> Callable[[Fields], bool] | None:
    plan = next(p for p in tables.plans if p.entry.id == query_id and p.query is not None)
    assert plan.query is not None
    # The automaton finds a word where " " + its stem occurs in the folded text, and a term only where a word
    # that ends one of its phrases is found (whatever its ending): a term needs one of these in its field.
    needs = {id(term): tuple(dict.fromkeys(f" {tables.words[w].stem}".encode("ascii")
                                           for pid in pids for w in tables.phrases[pid].words[-1]))
             for term, pids in plan.literals}
    return possible(plan.query, needs)


def possible(query: Query, needs: Mapping[int, Sequence[bytes]]) -> Callable[[Fields], bool] | None:
    """A test of folded (title, text, both) that is False only when ``query`` cannot hold: a term it needs is
    absent. ``needs`` maps ``id(term)`` to the strings one of which the term needs in its field. None: the
    query may hold whatever the text (a NOT may always hold)."""
    if isinstance(query, Term):
        strings, at = needs.get(id(query), ()), _FIELD_AT[query.field]
        if len(strings) == 1:
            (string,) = strings
            return lambda fields: string in fields[at]
        found = re.compile(b"|".join(map(re.escape, strings))).search if strings else None
        return lambda fields: found is not None and found(fields[at]) is not None
    if isinstance(query, Not):
        return None
    if isinstance(query, Near):
        return _both(possible(query.left, needs), possible(query.right, needs))
    parts = [possible(q, needs) for q in query.items]
    if isinstance(query, And):
        return functools.reduce(_both, parts, None)
    if None in parts:
        return None
    return functools.reduce(_either, parts) if parts else lambda fields: False


def _both(a: Callable[[Fields], bool] | None, b: Callable[[Fields], bool] | None) -> Callable[[Fields], bool] | None:
    if a is None or b is None:
        return a or b
    return lambda fields: a(fields) and b(fields)


def _either(a: Callable[[Fields], bool] | None, b: Callable[[Fields], bool] | None) -> Callable[[Fields], bool] | None:
    if a is None or b is None:
        return None
    return lambda fields: a(fields) or b(fields)


_FIELD_AT = {"title": 0, "text": 1, None: 2}
