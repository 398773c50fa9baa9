"""The period's items, indexed once for every section of a digest: who is mentioned in which item, and where.

A period can hold thousands of items and a digest shows a few hundred: sections count on this index, and
titles, links and snippets are cleaned only for the items a section shows (``facts``, ``snippets``). Items that
mention no entry are here too when a situation's query may select them (their ``entries`` are empty).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeGuard, TypeVar

from watcher.models import Mention, MentionedItem, Period, StoredMatch, publication_date
from watcher.report.parts import DigestItem, Outlets, item_facts, item_snippets

_ENTRY_ID = attrgetter("entry_id")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PeriodIndex:
    """The items of one period by entry and in time order; built per digest and read by its sections."""

    def __init__(self, items: Iterable[MentionedItem], outlets: Outlets | None = None) -> None:
        ordered = sorted(items, key=lambda i: (i.published, i.id))
        self.names = outlets or Outlets()
        self.items = {i.id: i for i in ordered}
        self.order = list(self.items)  # item ids, oldest first
        self.rank = {item_id: n for n, item_id in enumerate(self.order)}
        self.entries: dict[int, frozenset[str]] = {}  # item id -> ids of the entries it mentions
        self.outlet: dict[int, str] = {}  # item id -> its outlet, casefolded: distinct outlets are counted on it
        of_entry: defaultdict[str, list[int]] = defaultdict(list)
        known: dict[tuple[str | None, str], str] = {}  # a period has few outlets: each name is cleaned once
        for item in ordered:
            ids = self.entries[item.id] = frozenset(map(_ENTRY_ID, item.mentions))
            for entry_id in ids:
                of_entry[entry_id].append(item.id)
            name = known.get((item.publisher, item.source))
            if name is None:
                name = known[item.publisher, item.source] = self.names.name(item.publisher, item.source).casefold()
            self.outlet[item.id] = name
        self.of_entry: dict[str, list[int]] = dict(of_entry)  # entry id -> its items, oldest first
        self._facts: dict[int, DigestItem] = {}
        self._answers: dict[Callable[[Any], Any], dict[Any, Any]] = {}

    def facts(self, item_id: int) -> DigestItem:
        """The item as a digest shows it, without snippets; made on first use."""
        found = self._facts.get(item_id)
        if found is None:
            found = self._facts[item_id] = item_facts(self.items[item_id], self.names)
        return found

    def shown(self, item_id: int, entry_ids: Collection[str]) -> DigestItem:
        """The item with the snippets of its mentions of ``entry_ids``."""
        return replace(self.facts(item_id), snippets=self.snippets(item_id, entry_ids))

    def snippets(self, item_id: int, entry_ids: Collection[str]) -> tuple[str, ...]:
        """The best snippets of the item's mentions of ``entry_ids``, every watched name in them marked."""
        mentions = self.items[item_id].mentions
        return item_snippets((m for m in mentions if m.entry_id in entry_ids), also=mentions)

    def published_after(self, item_ids: Sequence[int], start: datetime) -> Sequence[int]:
        """The items of ``item_ids`` (in time order, as ``of_entry`` holds them) published after ``start``."""
        items = self.items
        return item_ids[bisect_right(item_ids, start, key=lambda i: items[i].published):]

    def remembered(self, fn: Callable[[K], V]) -> Callable[[K], V]:
        """``fn`` with its answers kept while this index lives: situations ask again of the items they share."""
        answers: dict[K, V] = self._answers.setdefault(fn, {})

        def answer(arg: K) -> V:
            if arg in answers:
                return answers[arg]
            found = answers[arg] = fn(arg)
            return found
        return answer

    def outlets(self, item_ids: Iterable[int]) -> int:
        """How many distinct outlets carry ``item_ids``."""
        outlet_of = self.outlet
        return len({outlet_of[i] for i in item_ids})

    def contenders(self, newest: Sequence[int], key: Collection[int], top: int) -> list[int]:
        """Positions in ``newest`` (item ids, newest first) of the items that can be among the ``top`` first when
        ranked key items first, then newest first: the first ``top`` of each kind, and any as new as the last one."""
        out: list[int] = []
        for keyed in (True, False):
            cut = top - len(out)
            if cut <= 0:
                break
            part = [n for n, i in enumerate(newest) if (i in key) == keyed]
            if len(part) > cut:  # the title decides between items published at the same time
                last = self.items[newest[part[cut - 1]]].published
                while cut < len(part) and self.items[newest[part[cut]]].published == last:
                    cut += 1
            out += part[:cut]
        return out


def period_items(matches: Sequence[StoredMatch] | Sequence[MentionedItem], period: Period) -> list[MentionedItem]:
    """``matches`` as items of ``period``: the store's ``MentionedItem`` as they are (already of the period),
    stored matches filtered to the period by found_at, (start, end], and grouped by item."""
    if _all_items(matches):
        return list(matches)
    mentions: dict[int, list[Mention]] = {}
    first: dict[int, StoredMatch] = {}
    for sm in matches:
        assert isinstance(sm, StoredMatch), f"expected StoredMatch or MentionedItem, got {type(sm).__name__}"
        # (start, end]: a match found exactly at the previous digest's end was already reported there.
        if not period.start < sm.found_at <= period.end:
            continue
        item_id, m = sm.stored_item.id, sm.match
        first.setdefault(item_id, sm)
        mentions.setdefault(item_id, []).append(Mention(item_id, m.entry_id, m.field, m.start, sm.id, m.snippet))
    out = []
    for item_id, sm in first.items():
        item = sm.stored_item.item
        out.append(MentionedItem(id=item_id, source=sm.stored_item.source, title=item.title, link=item.link,
                                 published=publication_date(item.published, sm.stored_item.first_seen),
                                 mentions=tuple(mentions[item_id]),
                                 publisher=item.publisher, language=item.language, text=item.text))
    return out


def _all_items(values: Sequence[StoredMatch] | Sequence[MentionedItem]) -> TypeGuard[Sequence[MentionedItem]]:
    return all(isinstance(v, MentionedItem) for v in values)
