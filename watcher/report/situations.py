"""One section per situation: attention, new and quiet entries, new pairings, stories and sources.

Pure: the period's items (``PeriodIndex``), the ``History`` the store computed, and the ids of items that
match each situation's query come in; frozen values go out.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

from watcher.config.schema import DigestConfig, EntryConfig, SituationConfig, Watchlist
from watcher.models import EntryKind, Period
from watcher.report.parts import DigestItem, SourceProblem, clean_text
from watcher.report.period import PeriodIndex
from watcher.report.stories import StoryItem, group_stories, headline, link_key, title_words
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


def build_situation(situation: SituationConfig, covered: Mapping[str, EntryConfig], index: PeriodIndex,
                    period: Period, history: History, key_items: Collection[int],
                    sources: tuple[SourceProblem, ...], *, max_stories: int = MAX_STORIES) -> SituationReport:
    """The section of one situation: the items of ``index`` that mention its (covered) entries."""
    entries = {i: covered[i] for i in (*situation.actors, *situation.terms) if i in covered}
    # A stored query match (its entry id is the situation's) marks a key item but is not an entry mention.
    wanted = entries.keys() - {situation.id}
    members: set[int] = set().union(*(index.of_entry.get(e, ()) for e in wanted))
    in_order = sorted(members, key=index.rank.__getitem__)  # oldest first
    key = {*key_items, *index.of_entry.get(situation.id, ())}
    top = max(max_stories, 0)
    stories, story_count = _stories(index, in_order[::-1], wanted, entries, key, top, situation.id)
    past = history.since is not None and history.since <= period.start
    return SituationReport(
        situation_id=situation.id, title=clean_text(situation.title), query=situation.query,
        item_count=len(in_order), outlet_count=index.outlets(in_order), key_count=len(key & members),
        periods=(*history.periods, period), attention=_attention(entries, wanted, index, history),
        # Without a past (the first digest of a new store) everything would be "new": say nothing instead.
        new=_new(entries, wanted, index, history, period) if past else (),
        quiet=_quiet(entries, wanted, index, history),
        pairings=_pairings(entries, in_order, index, history, period) if past else (),
        stories=tuple(stories), more_stories=max(story_count - top, 0),
        sources=sources,
    )


def _ref(item: DigestItem) -> ItemRef:
    return ItemRef(item_id=item.item_id, title=item.title, outlet=item.outlet, link=item.link,
                   published=item.published, language=item.language)


def _attention(entries: Mapping[str, EntryConfig], wanted: Collection[str], index: PeriodIndex,
               history: History) -> tuple[AttentionRow, ...]:
    rows: list[AttentionRow] = []
    for entry_id, entry in entries.items():
        items = index.of_entry.get(entry_id, []) if entry_id in wanted else []
        before = [c.items for c in history.counts.get(entry_id, (Counts(),) * len(history.periods))]
        if not items and not any(before):
            continue
        base = baseline(before)
        rows.append(AttentionRow(
            entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, items=len(items),
            outlets=index.outlets(items), previous=before[-1] if before else 0,
            baseline=round(base, 2), change=change(len(items), base), series=(*before, len(items))))
    rows.sort(key=lambda r: (-r.items, -r.baseline, r.name.casefold(), r.entry_id))
    return tuple(rows[:MAX_ATTENTION_ROWS])


def _new(entries: Mapping[str, EntryConfig], wanted: Collection[str], index: PeriodIndex, history: History,
         period: Period) -> tuple[NewEntry, ...]:
    out: list[NewEntry] = []
    for entry_id, entry in entries.items():
        last = history.last_seen.get(entry_id)
        found = novelty(last, period.start)
        if entry_id in wanted and entry_id in index.of_entry and found is not None:
            first = index.facts(index.of_entry[entry_id][0])
            out.append(NewEntry(entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, novelty=found,
                                last_seen=last, item=_ref(first)))
    out.sort(key=lambda n: (n.novelty != "first-ever", n.name.casefold(), n.entry_id))
    return tuple(out)


def _quiet(entries: Mapping[str, EntryConfig], wanted: Collection[str], index: PeriodIndex,
           history: History) -> tuple[QuietEntry, ...]:
    out = []
    for entry_id, entry in entries.items():
        series = tuple(c.items for c in history.counts.get(entry_id, ()))
        if not (entry_id in wanted and entry_id in index.of_entry) and regular(series):
            out.append(QuietEntry(entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, series=series,
                                  last_seen=history.last_seen.get(entry_id)))
    out.sort(key=lambda q: (-sum(q.series), q.name.casefold()))
    return tuple(out)


def _pairings(entries: Mapping[str, EntryConfig], in_order: Sequence[int], index: PeriodIndex, history: History,
              period: Period) -> tuple[Pairing, ...]:
    actors = {e for e, entry in entries.items() if entry.kind != "term"}
    found: dict[tuple[str, str], Pairing] = {}
    old: set[tuple[str, str]] = set()  # pairs seen together recently: not news, wherever they meet again
    for item_id in in_order:
        together = index.entries[item_id] & actors
        if len(together) < 2:
            continue
        for pair in pairs(list(together)):
            if pair in found or pair in old:
                continue
            last = history.pairs_last_seen.get(pair)
            kind = novelty(last, period.start)
            if kind is None:
                old.add(pair)
                continue
            names = (clean_text(entries[pair[0]].name), clean_text(entries[pair[1]].name))
            found[pair] = Pairing(entry_ids=pair, names=names, novelty=kind, last_seen=last,
                                  item=_ref(index.facts(item_id)))
    return tuple(sorted(found.values(), key=lambda p: (p.novelty != "first-ever", p.item.published, p.entry_ids)))


def _stories(index: PeriodIndex, newest: Sequence[int], wanted: AbstractSet[str], entries: Mapping[str, EntryConfig],
             key: Collection[int], top: int, situation_id: str) -> tuple[list[Story], int]:
    """The ``top`` stories in order, and how many there are in all; ``newest`` are item ids, newest first."""
    grouped = group_stories([_story_item(index, i, wanted) for i in newest[:MAX_GROUPED]],
                            words=index.remembered(title_words), links=index.remembered(link_key))
    # Ranked on numbers (key, outlets, items, time), then the headline's title; only the stories shown are
    # built, with their lead's snippet. The headline (each member's script read) is found only for the groups
    # that the numbers leave among the first, and items past the grouping bound are looked at likewise.
    numbers = [(not any(m.item_id in key for m in g), -index.outlets(m.item_id for m in g), -len(g),
                -g[0].published.timestamp()) for g in grouped]
    last = heapq.nsmallest(top, numbers)[-1:]
    best: list[tuple[tuple[bool, int, int, float, str], int, list[StoryItem] | int]]
    best = heapq.nsmallest(top, (((*numbers[n], index.facts((headline(g) if len(g) > 1 else g[0]).item_id).title.casefold()),
                                  n, g) for n, g in enumerate(grouped) if last and numbers[n] <= last[0]))
    rest = newest[MAX_GROUPED:]
    for n in index.contenders(rest, key, top):
        item = index.facts(rest[n])
        best.append(((item.item_id not in key, -1, -1, -item.published.timestamp(), item.title.casefold()),
                     len(grouped) + n, item.item_id))
    chosen = [g if isinstance(g, list) else [_story_item(index, g, wanted)]
              for _, _, g in heapq.nsmallest(top, best)]
    shown_of = {*entries, situation_id}  # the lead's snippet may come from a stored query match too
    return [_story(g, index, entries, key, shown_of) for g in chosen], len(grouped) + len(rest)


def _story_item(index: PeriodIndex, item_id: int, wanted: AbstractSet[str]) -> StoryItem:
    item = index.facts(item_id)
    return StoryItem(item_id=item_id, title=item.title, outlet=item.outlet, published=item.published,
                     link=item.link, entries=index.entries[item_id] & wanted)


def _story(group: list[StoryItem], index: PeriodIndex, entries: Mapping[str, EntryConfig],
           key: Collection[int], shown_of: Collection[str]) -> Story:
    lead = index.facts(headline(group).item_id)
    outlets: dict[str, ItemRef] = {}
    for member in group:
        if (name := member.outlet.casefold()) not in outlets:
            outlets[name] = _ref(index.facts(member.item_id))
    ids = {e for m in group for e in m.entries}
    return Story(
        title=lead.title, link=lead.link, language=lead.language, first_published=group[0].published,
        key=any(m.item_id in key for m in group), outlets=tuple(outlets.values()),
        entries=tuple(sorted((clean_text(entries[e].name) for e in ids), key=str.casefold)),
        item_count=len(group), snippet=next(iter(index.snippets(lead.item_id, shown_of)), None))
