"""Key developments: the items of a period that match a situation's query.

The matcher decides, as it does for any item; it costs a fold and a decision per item and situation, over
tens of thousands of items in a first digest. Most items cannot match, and the automaton's pass shows it: a
query holds only when the terms it needs are found, and a term is found only where the last word of one of
its phrases starts a word. So each item is folded once, and an item in which the query's needed terms are
not all present is left out without asking the matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter

from watcher.config.schema import DigestConfig, Watchlist
from watcher.match import Matcher
from watcher.match.compile import Tables, compile_tables
from watcher.match.normalize import fold_prepared, masking_may_add, spelled
from watcher.match.query import And, Near, Not, Query, Term
from watcher.models import MentionedItem

Folded = tuple[str, str, str] | None  # title, text and both, as the automaton reads them; None: ask the matcher


def key_items(watchlist: Watchlist, digest: DigestConfig, items: Sequence[MentionedItem]) -> dict[str, set[int]]:
    """Per situation with a query, the ids of ``items`` (those mentioning its entries) that match the query.

    ``items`` need their text (``Store.mentioned_items(..., with_text=True)``).
    """
    situations = [s for s in watchlist.situations
                  if s.query is not None and (not digest.situations or s.id in digest.situations)]
    if not situations:
        return {}
    entries_of = [(item, frozenset(map(attrgetter("entry_id"), item.mentions))) for item in items]
    folded: dict[int, Folded] = {}  # each item is folded once, whatever the number of situations it is in
    out: dict[str, set[int]] = {}
    for situation in situations:
        assert situation.query is not None
        ids = {*situation.actors, *situation.terms}
        members = [item for item, mentioned in entries_of if not ids.isdisjoint(mentioned)]
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
    needs = {id(term): tuple(dict.fromkeys(" " + tables.words[w].stem for pid in pids for w in tables.phrases[pid].words[-1]))
             for term, pids in plan.literals}
    may_hold = possible(plan.query, needs)
    matcher = Matcher(tables)
    out: set[int] = set()
    for item in items:
        if item.id not in folded:
            folded[item.id] = _fold(item)
        fields = folded[item.id]
        if fields is not None and not may_hold(fields):
            continue
        if any(m.entry_id == query_id for m in matcher.match_text(item.title, item.text or "")):
            out.add(item.id)
    return out


def _fold(item: MentionedItem) -> Folded:
    found: dict[str, str] = {}
    for name, text in (("title", item.title), ("text", item.text or "")):
        if not text:
            continue
        if text == item.title and "title" in found:  # feeds often repeat the title as the description
            found[name] = found["title"]
            continue
        spelt = spelled(text)
        if masking_may_add(spelt):  # blanking links may give this text words it lacks now: the matcher decides
            return None
        # Blanking links and tags only takes words away: the words found before it are all there may be.
        found[name] = fold_prepared(spelt)
    # Folded fields begin and end with a space and a needed string has none after its first: joined, the
    # fields hold a needed string exactly when one of them does.
    return found.get("title", ""), found.get("text", ""), found.get("title", "") + found.get("text", "")


def possible(query: Query, needs: Mapping[int, Sequence[str]]) -> Callable[[tuple[str, str, str]], bool]:
    """A test of folded (title, text, both) that is False only when ``query`` cannot hold: a term it needs is
    absent. ``needs`` maps ``id(term)`` to the strings one of which the term needs in its field; a NOT may
    always hold."""
    if isinstance(query, Term):
        strings = needs.get(id(query), ())
        at = _FIELD_AT[query.field]
        return lambda fields: any(s in fields[at] for s in strings)
    if isinstance(query, Not):
        return lambda fields: True
    if isinstance(query, Near):
        left, right = possible(query.left, needs), possible(query.right, needs)
        return lambda fields: left(fields) and right(fields)
    parts = [possible(q, needs) for q in query.items]
    if isinstance(query, And):
        return lambda fields: all(part(fields) for part in parts)
    return lambda fields: any(part(fields) for part in parts)


_FIELD_AT = {"title": 0, "text": 1, None: 2}
