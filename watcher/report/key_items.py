"""Key developments: the items of a period that match a situation's query.

The matcher decides, as it does for any item, through ``QuerySieve``, which asks it only of the items whose
folded fields hold the query's needed words; each item is folded once, whatever the number of situations.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from watcher.config.schema import DigestConfig, SituationConfig, Watchlist
from watcher.match import Folded, QuerySieve, fold_fields
from watcher.report.period import PeriodIndex


def key_items(watchlist: Watchlist, digest: DigestConfig, index: PeriodIndex,
              item_ids: Collection[int] | None = None) -> dict[str, set[int]]:
    """Per situation of ``digest`` with a query, the ids of the period's items that match it, whether or not they
    name an entry.

    The items need their text (``Store.mentioned_items(..., with_text=True)``), and the period's items that name
    no entry come in with ``unmatched=True``. ``item_ids``: only these items of the index are asked about.
    """
    return query_items(watchlist, [s for s in watchlist.situations
                                   if not digest.situations or s.id in digest.situations], index, item_ids)


def query_items(watchlist: Watchlist, situations: Sequence[SituationConfig], index: PeriodIndex,
                item_ids: Collection[int] | None = None) -> dict[str, set[int]]:
    """Per situation of ``situations`` with a query, the ids of the items of ``index`` (or of its ``item_ids``) that
    match it."""
    folded: dict[int, Folded] = {}  # each item is folded once, whatever the number of situations it is in
    out: dict[str, set[int]] = {}
    for situation in situations:
        if situation.query is None:
            continue
        ids = {*situation.actors, *situation.terms}
        members = list(index.items.values()) if item_ids is None else [index.items[i] for i in item_ids]
        if not members:
            continue
        # The situation's own entries give the query's words their spellings (Арцаха is Artsakh).
        sieve = QuerySieve([e for e in watchlist.entries if e.id in ids], situation.id, situation.query)
        found: set[int] = set()
        for item in members:
            if item.id not in folded:
                folded[item.id] = fold_fields(item.title, item.text or "")
            if sieve.holds(item.title, item.text or "", folded[item.id]):
                found.add(item.id)
        out[situation.id] = found
    return out
