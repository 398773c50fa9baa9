"""One section per situation: attention, new and quiet entries, new pairings, stories and sources.

Pure: the period's matches (already in the period and of covered entries), the ``History`` the store
computed, and the ids of items that match each situation's query come in; frozen values go out.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from watcher.config.schema import DigestConfig, EntryConfig, SituationConfig, Watchlist
from watcher.models import EntryKind, Period, StoredMatch
from watcher.report.parts import DigestItem, SourceProblem, clean_text, item_facts, item_snippets
from watcher.report.stories import StoryItem, group_stories, headline
from watcher.report.trends import Change, Counts, History, Novelty, baseline, change, novelty, pairs, regular

MAX_STORIES = 10
MAX_ATTENTION_ROWS = 15
# Grouping compares titles; beyond this many items (a first digest over months) only the newest are grouped,
# the older ones each count as a story of their own, so a huge period stays bounded in time.
MAX_GROUPED = 2000


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item a section points to: its title, outlet and link."""

    item_id: int
    title: str
    outlet: str
    link: str | None
    published: datetime
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """One entry's mentions in the period against the period before and its own baseline."""

    entry_id: str
    name: str
    kind: EntryKind
    items: int
    outlets: int
    previous: int  # items in the period before
    baseline: float  # mean items of the last BASELINE_PERIODS periods before
    change: Change
    series: tuple[int, ...]  # items per period, oldest first; the last is this digest's period


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry mentioned for the first time ever, or for the first time in 30 days."""

    entry_id: str
    name: str
    kind: EntryKind
    novelty: Novelty
    last_seen: datetime | None
    item: ItemRef


@dataclass(frozen=True, slots=True)
class QuietEntry:
    """An entry mentioned regularly before that was not mentioned in the period."""

    entry_id: str
    name: str
    kind: EntryKind
    series: tuple[int, ...]  # items in the earlier periods, oldest first
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class Pairing:
    """Two actors in the same item for the first time (ever, or in 30 days)."""

    entry_ids: tuple[str, str]
    names: tuple[str, str]
    novelty: Novelty
    last_seen: datetime | None
    item: ItemRef


@dataclass(frozen=True, slots=True)
class Story:
    """Items about the same news from one or more outlets; ``key`` when one matches the situation's query."""

    title: str
    link: str | None
    language: str | None
    first_published: datetime
    key: bool
    outlets: tuple[ItemRef, ...]  # each outlet once, its first item, in order of publication
    entries: tuple[str, ...]  # names of the entries the items mention
    item_count: int
    snippet: str | None = None


@dataclass(frozen=True, slots=True)
class SituationReport:
    """Everything a digest says about one situation for its period."""

    situation_id: str
    title: str
    query: str | None
    item_count: int
    outlet_count: int
    key_count: int  # items matching the situation's query
    periods: tuple[Period, ...]  # chart columns, oldest first; the last is the digest's period
    attention: tuple[AttentionRow, ...]
    new: tuple[NewEntry, ...]
    quiet: tuple[QuietEntry, ...]
    pairings: tuple[Pairing, ...]
    stories: tuple[Story, ...]
    more_stories: int
    sources: tuple[SourceProblem, ...]

    @property
    def empty(self) -> bool:
        """Nothing mentioned in the period."""
        return self.item_count == 0

    @property
    def top(self) -> AttentionRow | None:
        """The most mentioned entry of the period (ties: the bigger rise, then by name)."""
        rows = [r for r in self.attention if r.items]
        return min(rows, key=lambda r: (-r.items, r.baseline - r.items, r.name.casefold()), default=None)


def situations_of(digest: DigestConfig, watchlist: Watchlist, covered: Mapping[str, EntryConfig]) -> list[SituationConfig]:
    """The digest's situations (all when it names none); one built from every covered entry when there are none."""
    chosen = [s for s in watchlist.situations if not digest.situations or s.id in digest.situations]
    if chosen:
        return chosen
    return [SituationConfig(id=digest.id, title=digest.title,
                            actors=tuple(e.id for e in covered.values() if e.kind != "term"),
                            terms=tuple(e.id for e in covered.values() if e.kind == "term"))]


def build_situation(situation: SituationConfig, covered: Mapping[str, EntryConfig], matches: Sequence[StoredMatch],
                    period: Period, history: History, key_items: Collection[int],
                    sources: tuple[SourceProblem, ...], *, max_stories: int = MAX_STORIES,
                    facts: Mapping[int, DigestItem] | None = None) -> SituationReport:
    """The section of one situation; ``matches`` are the period's, of any entry (filtered here).

    ``facts`` maps item ids to their ``item_facts`` when the caller has them already.
    """
    entries = {i: covered[i] for i in (*situation.actors, *situation.terms) if i in covered}
    by_item: dict[int, list[StoredMatch]] = {}
    key = set(key_items)
    found: dict[int, set[str]] = {}
    for sm in matches:
        entry_id, item_id = sm.match.entry_id, sm.stored_item.id
        if entry_id == situation.id:  # a stored query match marks a key item but is not an entry mention
            key.add(item_id)
        elif entry_id not in entries:
            continue
        else:
            found.setdefault(item_id, set()).add(entry_id)
        by_item.setdefault(item_id, []).append(sm)
    mentioned = {i: frozenset(ids) for i, ids in found.items()}
    by_item = {i: by_item[i] for i in mentioned}
    # Snippets are left out here: only the lead items of the stories shown need them.
    shown = {i: facts[i] if facts is not None and i in facts else item_facts(ms[0].stored_item)
             for i, ms in by_item.items()}
    in_order = sorted(shown.values(), key=lambda i: (i.published, i.item_id))
    top = max(max_stories, 0)
    stories, story_count = _stories(shown, in_order[::-1], mentioned, entries, key, by_item, top)
    attention = _attention(entries, shown, mentioned, history)
    past = history.since is not None and history.since <= period.start
    return SituationReport(
        situation_id=situation.id, title=clean_text(situation.title), query=situation.query,
        item_count=len(shown), outlet_count=len({i.outlet.casefold() for i in shown.values()}),
        key_count=len(key & set(shown)), periods=(*history.periods, period), attention=attention,
        # Without a past (the first digest of a new store) everything would be "new": say nothing instead.
        new=_new(entries, in_order, mentioned, history, period) if past else (),
        quiet=_quiet(entries, mentioned, history),
        pairings=_pairings(entries, in_order, mentioned, history, period) if past else (),
        stories=tuple(stories), more_stories=max(story_count - top, 0),
        sources=sources,
    )


def _ref(item: DigestItem) -> ItemRef:
    return ItemRef(item_id=item.item_id, title=item.title, outlet=item.outlet, link=item.link,
                   published=item.published, language=item.language)


def _attention(entries: Mapping[str, EntryConfig], shown: Mapping[int, DigestItem],
               mentioned: Mapping[int, frozenset[str]], history: History) -> tuple[AttentionRow, ...]:
    items_of: dict[str, list[DigestItem]] = {}
    for i, ids in mentioned.items():
        for entry_id in ids:
            items_of.setdefault(entry_id, []).append(shown[i])
    rows: list[AttentionRow] = []
    for entry_id, entry in entries.items():
        items = items_of.get(entry_id, [])
        before = [c.items for c in history.counts.get(entry_id, (Counts(),) * len(history.periods))]
        if not items and not any(before):
            continue
        base = baseline(before)
        rows.append(AttentionRow(
            entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, items=len(items),
            outlets=len({i.outlet.casefold() for i in items}), previous=before[-1] if before else 0,
            baseline=round(base, 2), change=change(len(items), base), series=(*before, len(items))))
    rows.sort(key=lambda r: (-r.items, -r.baseline, r.name.casefold(), r.entry_id))
    return tuple(rows[:MAX_ATTENTION_ROWS])


def _new(entries: Mapping[str, EntryConfig], in_order: Sequence[DigestItem], mentioned: Mapping[int, frozenset[str]],
         history: History, period: Period) -> tuple[NewEntry, ...]:
    first: dict[str, DigestItem] = {}
    for item in in_order:
        for entry_id in mentioned[item.item_id]:
            first.setdefault(entry_id, item)
    out: list[NewEntry] = []
    for entry_id, entry in entries.items():
        last = history.last_seen.get(entry_id)
        found = novelty(last, period.start)
        if entry_id in first and found is not None:
            out.append(NewEntry(entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, novelty=found,
                                last_seen=last, item=_ref(first[entry_id])))
    out.sort(key=lambda n: (n.novelty != "first-ever", n.name.casefold(), n.entry_id))
    return tuple(out)


def _quiet(entries: Mapping[str, EntryConfig], mentioned: Mapping[int, frozenset[str]],
           history: History) -> tuple[QuietEntry, ...]:
    now_mentioned = {e for ids in mentioned.values() for e in ids}
    out = []
    for entry_id, entry in entries.items():
        series = tuple(c.items for c in history.counts.get(entry_id, ()))
        if entry_id not in now_mentioned and regular(series):
            out.append(QuietEntry(entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, series=series,
                                  last_seen=history.last_seen.get(entry_id)))
    out.sort(key=lambda q: (-sum(q.series), q.name.casefold()))
    return tuple(out)


def _pairings(entries: Mapping[str, EntryConfig], in_order: Sequence[DigestItem],
              mentioned: Mapping[int, frozenset[str]], history: History, period: Period) -> tuple[Pairing, ...]:
    found: dict[tuple[str, str], Pairing] = {}
    for item in in_order:
        actors = [e for e in mentioned[item.item_id] if entries[e].kind != "term"]
        for pair in pairs(actors):
            last = history.pairs_last_seen.get(pair)
            kind = novelty(last, period.start)
            if kind is not None and pair not in found:
                names = (clean_text(entries[pair[0]].name), clean_text(entries[pair[1]].name))
                found[pair] = Pairing(entry_ids=pair, names=names, novelty=kind, last_seen=last, item=_ref(item))
    return tuple(sorted(found.values(), key=lambda p: (p.novelty != "first-ever", p.item.published, p.entry_ids)))


def _stories(shown: Mapping[int, DigestItem], newest: Sequence[DigestItem], mentioned: Mapping[int, frozenset[str]],
             entries: Mapping[str, EntryConfig], key: Collection[int], matches: Mapping[int, Sequence[StoredMatch]],
             top: int) -> tuple[list[Story], int]:
    """The ``top`` stories in order, and how many there are in all; ``newest`` is ``shown``, newest first."""
    grouped = group_stories([_story_item(i, mentioned) for i in newest[:MAX_GROUPED]])

    def rank(group: list[StoryItem]) -> tuple[bool, int, int, float, str]:
        lead = headline(group) if len(group) > 1 else group[0]
        return (not any(m.item_id in key for m in group), -len({m.outlet.casefold() for m in group}), -len(group),
                -group[0].published.timestamp(), shown[lead.item_id].title.casefold())

    # Ranked on a few numbers; only the stories shown are built, with their lead's snippet. Items past the
    # grouping bound are stories of their own, ranked without building anything for them.
    best: list[tuple[tuple[bool, int, int, float, str], int, list[StoryItem] | DigestItem]]
    best = heapq.nsmallest(top, ((rank(g), n, g) for n, g in enumerate(grouped)))
    best += heapq.nsmallest(top, (((i.item_id not in key, -1, -1, -i.published.timestamp(), i.title.casefold()),
                                   len(grouped) + n, i) for n, i in enumerate(newest[MAX_GROUPED:])))
    chosen = [g if isinstance(g, list) else [_story_item(g, mentioned)] for _, _, g in heapq.nsmallest(top, best)]
    return [_story(g, shown, entries, key, matches) for g in chosen], len(grouped) + max(len(newest) - MAX_GROUPED, 0)


def _story_item(item: DigestItem, mentioned: Mapping[int, frozenset[str]]) -> StoryItem:
    return StoryItem(item_id=item.item_id, title=item.title, outlet=item.outlet, published=item.published,
                     link=item.link, entries=mentioned[item.item_id])


def _story(group: list[StoryItem], shown: Mapping[int, DigestItem], entries: Mapping[str, EntryConfig],
           key: Collection[int], matches: Mapping[int, Sequence[StoredMatch]]) -> Story:
    lead = shown[headline(group).item_id]
    outlets: dict[str, ItemRef] = {}
    for member in group:
        outlets.setdefault(member.outlet.casefold(), _ref(shown[member.item_id]))
    ids = {e for m in group for e in m.entries}
    return Story(
        title=lead.title, link=lead.link, language=lead.language, first_published=group[0].published,
        key=any(m.item_id in key for m in group), outlets=tuple(outlets.values()),
        entries=tuple(sorted((clean_text(entries[e].name) for e in ids), key=str.casefold)),
        item_count=len(group), snippet=next(iter(item_snippets(matches[lead.item_id])), None))
