"""Key developments: the items of a period that match a situation's query.

The matcher decides, as it does for any item; it costs a fold and a decision per item and situation, over
tens of thousands of items in a first digest. Most items cannot match, and the automaton's pass shows it: a
query holds only when the terms it needs are found, and a term is found only where the last word of one of
its phrases starts a word. So each item is folded once, and an item in which the query's needed terms are
not all present is left out without asking the matcher.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence

from watcher.config.query import And, Near, Not, Query, Term
from watcher.config.schema import DigestConfig, Watchlist
from watcher.match import Matcher
from watcher.match.compile import Tables, compile_tables
from watcher.match.normalize import fold_bytes, masking_may_add, spelled
from watcher.models import MentionedItem
from watcher.report.period import PeriodIndex

Fields = tuple[bytes, bytes, bytes]  # title, text and both, folded as the automaton reads them
Folded = Fields | None  # None: only the matcher can tell


def key_items(watchlist: Watchlist, digest: DigestConfig, index: PeriodIndex) -> dict[str, set[int]]:
    """Per situation with a query, the ids of the period's items that match it, whether or not they name an entry.

    The items need their text (``Store.mentioned_items(..., with_text=True)``), and the period's items that name
    no entry come in with ``unmatched=True``.
    """
    folded: dict[int, Folded] = {}  # each item is folded once, whatever the number of situations it is in
    out: dict[str, set[int]] = {}
    for situation in watchlist.situations:
        if situation.query is None or (digest.situations and situation.id not in digest.situations):
            continue
        ids = {*situation.actors, *situation.terms}
        members = list(index.items.values())
        if not members:
            continue
        # The situation's own entries give the query's words their spellings (Арцаха is Artsakh).
        tables = compile_tables([e for e in watchlist.entries if e.id in ids], {situation.id: situation.query})
        out[situation.id] = _matching(situation.id, tables, members, folded)
    return out


def _matching(query_id: str, tables: Tables, items: Sequence[MentionedItem], folded: dict[int, Folded]) -> set[int]:
    plan = next(p for p in tables.plans if p.entry.id == query_id and p.query is not None)
    assert plan.query is not None
    # The automaton finds a word where " " + its stem occurs in the folded text, and a term only where a word
    # that ends one of its phrases is found (whatever its ending): a term needs one of these in its field.
    needs = {id(term): tuple(dict.fromkeys(f" {tables.words[w].stem}".encode("ascii")
                                           for pid in pids for w in tables.phrases[pid].words[-1]))
             for term, pids in plan.literals}
    may_hold = possible(plan.query, needs)
    matcher = Matcher(tables)
    out: set[int] = set()
    for item in items:
        if item.id not in folded:
            folded[item.id] = _fold(item)
        fields = folded[item.id]
        if fields is not None and may_hold is not None and not may_hold(fields):
            continue
        if any(m.entry_id == query_id for m in matcher.match_text(item.title, item.text or "")):
            out.add(item.id)
    return out


def _fold(item: MentionedItem) -> Folded:
    title = _folded(item.title)
    text = title if item.text == item.title else _folded(item.text or "")  # feeds often repeat the title
    if title is None or text is None:
        return None
    # Folded fields begin and end with a space and a needed string has none after its first: joined, the
    # fields hold a needed string exactly when one of them does.
    return title, text, title + text


def _folded(text: str) -> bytes | None:
    if not text:
        return b""
    spelt = spelled(text)
    if masking_may_add(spelt):  # blanking links may give this text words it lacks now: the matcher decides
        return None
    # Blanking links and tags only takes words away: the words found before it are all there may be.
    return fold_bytes(spelt)


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
