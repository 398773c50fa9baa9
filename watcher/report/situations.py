"""One section per situation: attention, new and quiet entries, new pairings, stories and sources.

Pure: the period's items (``PeriodIndex``), the ``History`` the store computed, and the ids of items that
match each situation's query come in; frozen values go out. A situation's items are those that mention its
entries and those its query selects (key items), whether or not they name an entry.

The trend sections count items by publication date: attention, new entries, quiet ones and pairings look at
the items published in the period, and the history before it. Stories show every item the period reports, an
item found late (published before the period) among them, marked as such.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from watcher.config.schema import EntryConfig, SituationConfig
from watcher.models import EntryKind, Period
from watcher.report.parts import DigestItem, SourceProblem, clean_text
from watcher.report.period import PeriodIndex
from watcher.report.stories import StoryItem, content_keys, group_stories, headline, link_key, title_words, tongue
from watcher.report.storylines import WINDOW, Storyline, find_threads, storylines
from watcher.report.trends import Change, Counts, History, Novelty, baseline, change, novelty, pairs, regular

if TYPE_CHECKING:  # bursts.py builds on this module's ItemRef
    from watcher.report.bursts import Burst

MAX_STORIES = 10
MAX_STORYLINES = 5
MAX_ATTENTION_ROWS = 15
LEAD_CHARS = 600  # of an item's text: what stories compare across languages, and the snippet of a query's item
SNIPPET_WORDS = 30
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
    note: str | None = None  # what the watchlist says of the outlet


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """One entry's mentions published in the period against the period before and its own baseline."""

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
    """Items about the same news from one or more outlets and languages; ``key`` when one matches the situation's
    query. Stories are ranked by ``weight``: the outlets carrying it, one more per further language, 2 for a key
    item, one per new entry and per new pairing among its items; then the newest first."""

    title: str
    link: str | None
    language: str | None
    first_published: datetime
    key: bool
    outlets: tuple[ItemRef, ...]  # each outlet once, its first item, in order of publication
    entries: tuple[str, ...]  # names of the entries the items mention
    item_count: int
    snippet: str | None = None
    languages: tuple[str, ...] = ()  # the languages (or scripts, where unknown) of its items, sorted
    weight: int = 1
    late: bool = False  # first published before the period: found late, reported now


@dataclass(frozen=True, slots=True)
class SituationReport:
    """Everything a digest says about one situation for its period."""

    situation_id: str  # watcher.config.coverage.OTHERS_ID for the entries in no situation
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
    storylines: tuple[Storyline, ...] = ()  # those the period moved (watcher.report.storylines), most carried first
    more_storylines: int = 0
    bursts: tuple[Burst, ...] = ()  # entries far above their own baseline (bursts.py)

    @property
    def empty(self) -> bool:
        """Nothing mentioned in the period."""
        return self.item_count == 0

    @property
    def top(self) -> AttentionRow | None:
        """The most mentioned entry of the period (ties: the bigger rise, then by name)."""
        rows = [r for r in self.attention if r.items]
        return min(rows, key=lambda r: (-r.items, r.baseline - r.items, r.name.casefold()), default=None)


def build_situation(situation: SituationConfig, covered: Mapping[str, EntryConfig], index: PeriodIndex,
                    period: Period, history: History, key_items: Collection[int],
                    sources: tuple[SourceProblem, ...], *, max_stories: int = MAX_STORIES,
                    names: frozenset[str] = frozenset(), storylines: Sequence[Storyline] = ()) -> SituationReport:
    """The section of one situation: the items of ``index`` that mention its (covered) entries or match its query
    (``key_items``). ``names``: the content keys of the watched names (``content_keys``), for story grouping;
    ``storylines``: the situation's that the period moved (``situation_storylines``)."""
    entries = {i: covered[i] for i in (*situation.actors, *situation.terms) if i in covered}
    wanted = entries.keys() - {situation.id}
    in_order, key = situation_items(situation, covered, index, key_items)
    top = max(max_stories, 0)
    past = history.since is not None and history.since <= period.start
    # Without a past (a store with nothing published before the period) everything would be "new": say nothing.
    new = _new(entries, wanted, index, history, period) if past else ()
    pairings = _pairings(entries, index.published_after(in_order, period.start), index, history, period) if past else ()
    news = _News({n.entry_id for n in new}, {p.entry_ids for p in pairings})
    stories, story_count = _stories(index, in_order[::-1], wanted, entries, key, top, situation.id, news, period, names)
    return SituationReport(
        situation_id=situation.id, title=clean_text(situation.title), query=situation.query,
        item_count=len(in_order), outlet_count=index.outlets(in_order), key_count=len(key),
        periods=(*history.periods, period), attention=_attention(entries, wanted, index, history, period),
        new=new, quiet=_quiet(entries, wanted, index, history, period), pairings=pairings,
        stories=tuple(stories), more_stories=max(story_count - top, 0),
        sources=sources, storylines=tuple(storylines[:MAX_STORYLINES]),
        more_storylines=max(len(storylines) - MAX_STORYLINES, 0),
    )


def watched_keys(covered: Mapping[str, EntryConfig]) -> frozenset[str]:
    """The content keys of the watched entries' names and aliases: stories never join items by these alone."""
    return frozenset().union(*(content_keys(" ".join((e.name, *e.aliases))) for e in covered.values()))


def section_storylines(sections: Sequence[SituationConfig], covered: Mapping[str, EntryConfig], window: PeriodIndex,
                       selects: Callable[[Collection[int]], Mapping[str, Collection[int]]], *, now: datetime,
                       zone: tzinfo, new: Collection[int], span: timedelta = WINDOW,
                       names: frozenset[str] = frozenset()) -> dict[str, list[Storyline]]:
    """Per section (situation), the storylines of its items among ``window``'s published in the ``span`` before ``now``;
    ``new``: the ids of the items the period reports; ``selects(ids)``: per situation with a query, which of the
    items ``ids`` it selects.

    The window's stories are linked once, over the items that name a covered entry or that a query selects (the
    rarity of words is the window's), and each section reads the threads its own items make. The queries are asked
    only of the items that name no covered entry, then of the threads' items (a query's item may name another
    situation's entries): few of the window's.
    """
    unnamed = [i for i in window.order if not window.entries[i] & covered.keys()]
    selected = {k: set(ids) for k, ids in selects(unnamed).items()}
    chosen = set(window.order) - set(unnamed) | set().union(*selected.values())
    items = window.items
    # As they came (titles and links are cleaned only for the items of storylines, by ``shown``).
    threads = find_threads([StoryItem(item_id=i, title=items[i].title, outlet=window.outlet[i],
                                      published=items[i].published, link=items[i].link,
                                      entries=window.entries[i] & covered.keys(), language=items[i].language,
                                      lead=_lead(window, i)) for i in window.order if i in chosen],
                           now=now, zone=zone, window=span, names=names)
    threaded = {i.item_id for thread in threads.threads for story in thread for i in story.items}
    for k, ids in selects(threaded - set(unnamed)).items():
        selected.setdefault(k, set()).update(ids)
    members = {s.id: situation_items(s, covered, window, selected.get(s.id, ()))[0] for s in sections}

    def shown(item: StoryItem) -> StoryItem:
        return _story_item(window, item.item_id, covered.keys())

    return {s.id: storylines(threads, new=new, members=set(members[s.id]), shown=shown) for s in sections}


def situation_items(situation: SituationConfig, covered: Mapping[str, EntryConfig], index: PeriodIndex,
                    key_items: Collection[int]) -> tuple[list[int], set[int]]:
    """The ids of the situation's items in ``index``, oldest first, and of its key items: an item is the situation's
    when it mentions one of its (covered) entries or matches its query (``key_items``, or a stored query match)."""
    # A stored query match (its entry id is the situation's) marks a key item but is not an entry mention.
    wanted = {i for i in (*situation.actors, *situation.terms) if i in covered} - {situation.id}
    key = {*key_items, *index.of_entry.get(situation.id, ())} & index.items.keys()
    members: set[int] = set().union(*(index.of_entry.get(e, ()) for e in wanted)) | key
    return sorted(members, key=index.rank.__getitem__), key


def _ref(item: DigestItem) -> ItemRef:
    return ItemRef(item_id=item.item_id, title=item.title, outlet=item.outlet, link=item.link,
                   published=item.published, language=item.language, note=item.note)


def item_ref(item: DigestItem) -> ItemRef:
    """The item as a section points to it."""
    return _ref(item)


def _mentioning(entry_id: str, wanted: Collection[str], index: PeriodIndex, period: Period) -> Sequence[int]:
    """The items published in the period that mention the entry, oldest first."""
    return index.published_after(index.of_entry.get(entry_id, []), period.start) if entry_id in wanted else []


def _attention(entries: Mapping[str, EntryConfig], wanted: Collection[str], index: PeriodIndex,
               history: History, period: Period) -> tuple[AttentionRow, ...]:
    rows: list[AttentionRow] = []
    for entry_id, entry in entries.items():
        items = _mentioning(entry_id, wanted, index, period)
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
        items = _mentioning(entry_id, wanted, index, period)
        if items and found is not None:
            first = index.facts(items[0])
            out.append(NewEntry(entry_id=entry_id, name=clean_text(entry.name), kind=entry.kind, novelty=found,
                                last_seen=last, item=_ref(first)))
    out.sort(key=lambda n: (n.novelty != "first-ever", n.name.casefold(), n.entry_id))
    return tuple(out)


def _quiet(entries: Mapping[str, EntryConfig], wanted: Collection[str], index: PeriodIndex,
           history: History, period: Period) -> tuple[QuietEntry, ...]:
    out = []
    for entry_id, entry in entries.items():
        series = tuple(c.items for c in history.counts.get(entry_id, ()))
        if not _mentioning(entry_id, wanted, index, period) and regular(series):
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


@dataclass(frozen=True, slots=True)
class _News:
    """What makes a story matter beyond its outlets: the situation's new entries and new pairings."""

    entries: AbstractSet[str]
    pairs: AbstractSet[tuple[str, str]]

    def count(self, entry_sets: Sequence[AbstractSet[str]]) -> int:
        """New entries among the items' entries, plus new pairings within one of the items."""
        mentioned = set().union(*entry_sets)
        together = {p for ids in entry_sets if len(ids) > 1 for p in pairs(list(ids))} if self.pairs else set()
        return len(mentioned & self.entries) + len(together & self.pairs)


def _stories(index: PeriodIndex, newest: Sequence[int], wanted: AbstractSet[str], entries: Mapping[str, EntryConfig],
             key: Collection[int], top: int, situation_id: str, news: _News, period: Period,
             names: frozenset[str]) -> tuple[list[Story], int]:
    """The ``top`` stories in order, and how many there are in all; ``newest`` are item ids, newest first."""
    grouped = group_stories([_story_item(index, i, wanted) for i in newest[:MAX_GROUPED]],
                            words=index.remembered(title_words), links=index.remembered(link_key),
                            keys=_content_keys(index), names=names)
    # Ranked on numbers (weight, time), then the headline's title; only the stories shown are built, with their
    # lead's snippet. The headline (each member's script read) is found only for the groups that the numbers leave
    # among the first; items past the grouping bound are stories of one item each, ranked the same way.
    numbers = [(-_weight(index, [m.item_id for m in g], key, news), -g[0].published.timestamp()) for g in grouped]
    rest = newest[MAX_GROUPED:]
    numbers += [(-_weight(index, [i], key, news), -index.items[i].published.timestamp()) for i in rest]
    last = heapq.nsmallest(top, numbers)[-1:]
    candidates = [n for n, number in enumerate(numbers) if last and number <= last[0]]

    def title_of(n: int) -> str:
        lead = (headline(grouped[n]).item_id if len(grouped[n]) > 1 else grouped[n][0].item_id) if n < len(grouped) \
            else rest[n - len(grouped)]
        return index.facts(lead).title.casefold()

    chosen = heapq.nsmallest(top, candidates, key=lambda n: (*numbers[n], title_of(n)))
    groups = [grouped[n] if n < len(grouped) else [_story_item(index, rest[n - len(grouped)], wanted)] for n in chosen]
    shown_of = {*entries, situation_id}  # the lead's snippet may come from a stored query match too
    return [_story(g, index, entries, key, shown_of, -numbers[n][0], period)
            for n, g in zip(chosen, groups, strict=True)], len(numbers)


def _weight(index: PeriodIndex, item_ids: Sequence[int], key: Collection[int], news: _News) -> int:
    keyed = any(i in key for i in item_ids)
    news_count = news.count([index.entries[i] for i in item_ids]) if news.entries or news.pairs else 0
    if len(item_ids) == 1:  # most stories: one outlet, one language
        return 1 + 2 * keyed + news_count
    tongues = {language_of(index, i) for i in item_ids}
    return index.outlets(item_ids) + len(tongues) - 1 + 2 * keyed + news_count


def language_of(index: PeriodIndex, item_id: int) -> str:
    """The item's language, or its title's script when it is not known."""
    item = index.items[item_id]
    return tongue(item.language, item.title)


def _content_keys(index: PeriodIndex) -> Callable[[StoryItem], frozenset[str]]:
    # Remembered by title and lead through one function for the index's life: every section asks again.
    remembered = index.remembered(_text_keys)
    return lambda item: remembered((index.items[item.item_id].title, _lead(index, item.item_id)))


def _text_keys(title_and_lead: tuple[str, str]) -> frozenset[str]:
    return content_keys(*title_and_lead)


def _lead(index: PeriodIndex, item_id: int) -> str:
    item = index.items[item_id]
    return "" if item.text is None or item.text == item.title else item.text[:LEAD_CHARS]


def _story_item(index: PeriodIndex, item_id: int, wanted: AbstractSet[str]) -> StoryItem:
    item = index.facts(item_id)
    return StoryItem(item_id=item_id, title=item.title, outlet=item.outlet, published=item.published,
                     link=item.link, entries=index.entries[item_id] & wanted, language=item.language)


def _story(group: list[StoryItem], index: PeriodIndex, entries: Mapping[str, EntryConfig],
           key: Collection[int], shown_of: Collection[str], weight: int, period: Period) -> Story:
    lead = index.facts(headline(group).item_id)
    outlets: dict[str, ItemRef] = {}
    for member in group:
        if (name := member.outlet.casefold()) not in outlets:
            outlets[name] = _ref(index.facts(member.item_id))
    ids = {e for m in group for e in m.entries}
    # The situation's own mentions first; an item its query selected may name only other entries, or none.
    snippet = (next(iter(index.snippets(lead.item_id, shown_of)), None)
               or next(iter(index.snippets(lead.item_id, index.entries[lead.item_id])), None)
               or text_snippet(index, lead.item_id))
    return Story(
        title=lead.title, link=lead.link, language=lead.language, first_published=group[0].published,
        key=any(m.item_id in key for m in group), outlets=tuple(outlets.values()),
        entries=tuple(sorted((clean_text(entries[e].name) for e in ids), key=str.casefold)),
        item_count=len(group), snippet=snippet,
        languages=tuple(sorted({language_of(index, m.item_id) for m in group})), weight=weight,
        late=group[0].published <= period.start)


def text_snippet(index: PeriodIndex, item_id: int) -> str | None:
    """The beginning of the item's text, for an item that names no entry (a query selected it)."""
    words = clean_text(_lead(index, item_id)).split()
    if not words:
        return None
    return " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
