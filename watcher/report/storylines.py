"""Storylines: the items of several days that follow one developing matter (a trial hearing by hearing, a border
commission meeting after meeting, a resignation and the succession), across outlets and languages.

The rule, over the items of a window (the ``WINDOW`` before ``now``):

1. An item is described by what it names: its watched entries (ids, the same in every language), the content keys
   of its title and lead (``stories.content_keys``: every word folded to ASCII the way the matcher folds names, and
   stemmed, so a place or a person not on the watchlist is one key in three scripts, Տավուշ, Тавуш and Tavush,
   while other words meet within their language), and among those the *names*: the keys of capitalised words that
   do not begin a sentence (places, people, organisations). Watched names are left out of the content keys (their
   entries stand for them), and so are internationalisms that say nothing of the matter (minister, parliament).
2. What an item names weighs by how rare it is in the window: ``ln(N / df)``, ``df`` the items naming it and ``N``
   the items that could (at least ``MIN_ITEMS`` in all, so a quiet window does not make every word rare): for a
   watched entry, every item; for a content key, the items of the languages that write it (a place named in three
   scripts is weighed among all, a verb of one language among that language's). A key is *rare* when at most √N
   items name it.
3. Two items at most ``MAX_GAP`` apart are one storyline when
   - they share an anchor: a watched entry, or a rare name (the bridge between languages);
   - they share ``RARE_SHARED`` rare content keys or more; and
   - the weights of all they share (content keys and entries) add up to more than chance gives: at least
     ``ln(P)``, ``P`` the pairs of items the window could link (at most ``MAX_GAP`` apart, at least ``MIN_PAIRS``).
     The sum is minus the log of the chance that an item names them all, so a bigger window, where more
     coincidences happen, asks more.
   Precision over reach: an entry named every day, common words, or a rare word met by chance do not link two
   items; two unrelated items about the same person on different days stay apart, and so do two trials that share
   the words of a courtroom but no name. The same event told by two outlets, or in two languages, on one day is
   linked by the same rule, stricter than a digest's grouping of one period's stories: two weeks hold more
   coincidences.
4. A storyline is a set of linked items (transitively) that covers at least two days.

Pure: items and ``now`` in, frozen values out. Candidate pairs come only from rare keys (each names at most √N
items), so a window of thousands of items stays fast.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from watcher.report.stories import LEAD_WORDS, StoryItem, common_across, content_keys, headline, tongue

WINDOW = timedelta(days=14)
MAX_GAP = timedelta(days=7)  # between two items of one storyline: a weekly hearing is still one trial
MIN_ITEMS = 100  # the window counts as holding at least this many items when words are weighed
MIN_PAIRS = 10_000  # and at least this many pairs of items that could be linked
RARE_SHARED = 2  # rare content keys two items must share


@dataclass(frozen=True, slots=True)
class StorylineItem:
    """One item of a storyline: what the reader follows, a link to it; ``new`` when the period reports it."""

    item_id: int
    title: str
    link: str | None
    published: datetime
    outlet: str
    language: str | None
    new: bool


@dataclass(frozen=True, slots=True)
class Storyline:
    """Items of several days about one developing matter."""

    title: str  # the headline of its last day (stories.headline: the first in the script most of them use)
    link: str | None
    language: str | None
    first_seen: datetime  # when its first item was published
    first_outlet: str  # who reported it first
    days: int  # local calendar days from its first item to its last, both counted
    items: tuple[StorylineItem, ...]  # oldest first
    outlets: tuple[str, ...]  # each outlet once, in the order they joined
    languages: tuple[str, ...]  # the languages (or scripts, where unknown) of its items, sorted
    entries: tuple[str, ...]  # ids of the watched entries its items name, sorted
    new: int  # items the period reports

    @property
    def moved(self) -> bool:
        """Whether the period brought an item of it."""
        return self.new > 0


@dataclass(frozen=True, slots=True)
class _Described:
    """An item as the rule reads it (``items``: the item, or none once a section's members are kept)."""

    day: date
    items: list[StoryItem]
    entries: frozenset[str]
    keys: frozenset[str]
    names: frozenset[str]  # the keys of the names among them
    tongues: frozenset[str]  # its items' languages (or scripts)


@dataclass(frozen=True, slots=True)
class Threads:
    """The linked items of a window (each thread over two days or more), ready to be read as storylines, all of
    them or those of one section's items."""

    zone: tzinfo
    threads: tuple[tuple[_Described, ...], ...]


def find_storylines(items: Iterable[StoryItem], *, now: datetime, zone: tzinfo = UTC, new: Collection[int] = (),
                    window: timedelta = WINDOW, names: frozenset[str] = frozenset()) -> list[Storyline]:
    """The storylines of the ``items`` published in the ``window`` before ``now`` (``find_threads``, then
    ``storylines``)."""
    return storylines(find_threads(items, now=now, zone=zone, window=window, names=names), new=new)


def find_threads(items: Iterable[StoryItem], *, now: datetime, zone: tzinfo = UTC, window: timedelta = WINDOW,
                 max_gap: timedelta = MAX_GAP, names: frozenset[str] = frozenset()) -> Threads:
    """The ``items`` published in the ``window`` before ``now`` (days counted in ``zone``), linked into threads by
    the rule of this module; ``names``: the content keys of the watched names."""
    start = now - window
    left_out = names | common_across()
    stories = []
    for item in sorted((i for i in items if start < i.published <= now), key=lambda i: (i.published, i.item_id)):
        keys, named = described_by(item.title, item.lead)
        keys -= left_out
        stories.append(_Described(item.published.astimezone(zone).date(), [item], item.entries, keys,
                                  named & keys, frozenset((tongue(item.language, item.title),))))
    parent = list(range(len(stories)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in linked(stories, max_gap):
        parent[find(b)] = find(a)
    threads: defaultdict[int, list[_Described]] = defaultdict(list)
    for index, story in enumerate(stories):
        threads[find(index)].append(story)
    return Threads(zone, tuple(tuple(t) for t in threads.values() if len({s.day for s in t}) > 1))


@lru_cache(maxsize=1 << 15)  # a window's items are described again by every digest of the next two weeks
def described_by(title: str, lead: str = "") -> tuple[frozenset[str], frozenset[str]]:
    """The content keys of a title and its lead (``stories.content_keys``), and the keys of the names among them:
    capitalised words that do not begin a sentence."""
    lead = " ".join(lead.split()[:LEAD_WORDS])
    names = [w for text in (title, lead) for sentence in _SENTENCE_END.split(text) for w in sentence.split()[1:]
             if w[:1].isupper()]
    return _keys(f"{title} {lead}".split()), _keys(names)


def _keys(words: Iterable[str]) -> frozenset[str]:
    # A speed layer: content_keys reads each word on its own, so the keys of a text are the union of its words', and
    # each word is read once (most of an item's words are other items' too): a third of the storylines' time over
    # 100,000 matches. tests/test_storylines.py holds it to content_keys.
    return frozenset().union(*map(_word_keys, words))


@lru_cache(maxsize=1 << 16)
def _word_keys(word: str) -> frozenset[str]:
    return content_keys(word)


_SENTENCE_END = re.compile(r"[.!?:;։«»\"“”„]\s*|\s[-–—]\s")


def storylines(threads: Threads, *, new: Collection[int] = (), members: Collection[int] | None = None,
               shown: Callable[[StoryItem], StoryItem] | None = None) -> list[Storyline]:
    """The threads as storylines, the most carried first (outlets, languages, days, then the latest); ``new``: ids of
    the items the period reports. ``members``: only these items (a situation's) count, and a thread is a storyline
    of theirs when they still cover two days. ``shown``: each item as the storyline shows it (title, link and outlet
    cleaned for display), when the items were linked as they came."""
    wanted = set(new)
    found = []
    for thread in threads.threads:
        kept = thread if members is None else [
            replace(s, items=[i for i in s.items if i.item_id in members]) for s in thread]
        kept = [s for s in kept if s.items]
        if len({s.day for s in kept}) > 1:
            found.append(_storyline(kept, threads.zone, wanted, shown))
    found.sort(key=lambda s: (-len(s.outlets), -len(s.languages), -s.days, -s.items[-1].published.timestamp(),
                              s.title.casefold()))
    return found


def linked(stories: Sequence[_Described], max_gap: timedelta) -> Iterable[tuple[int, int]]:
    """Pairs of stories (indices, in day order) that the rule of this module makes one storyline."""
    size = max(len(stories), MIN_ITEMS)
    key_df = Counter(k for s in stories for k in s.keys)
    entry_df = Counter(e for s in stories for e in s.entries)
    # A word is weighed among the items of the languages that write it: a verb of one language in a tenth of that
    # language's items is no rare word, a place named in three scripts is weighed among them all.
    per_tongue = Counter(t for s in stories for t in s.tongues)
    tongues_of: defaultdict[str, set[str]] = defaultdict(set)
    for story in stories:
        for k in story.keys:
            tongues_of[k].update(story.tongues)
    scale = size / max(len(stories), 1)
    among = {k: min(size, scale * sum(per_tongue[t] for t in ts)) for k, ts in tongues_of.items()}
    rare = {k for k, n in key_df.items() if n * n <= among[k]}  # at most √N of the items that could name it
    gap = max_gap.days
    per_day = Counter(s.day for s in stories)
    pairs = sum(n * per_day.get(d + timedelta(days=g), 0) if g else n * (n - 1) // 2
                for d, n in per_day.items() for g in range(gap + 1))
    needed = math.log(max(pairs, MIN_PAIRS))
    postings: defaultdict[str, list[int]] = defaultdict(list)  # rare key -> items naming it, in day order
    for index, story in enumerate(stories):
        for k in story.keys & rare:
            postings[k].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for indices in postings.values():
        for n, a in enumerate(indices):
            day = stories[a].day
            for b in indices[n + 1:]:
                if (stories[b].day - day).days > gap:
                    break
                shared[a, b] += 1
    for (a, b), count in shared.items():
        if count < RARE_SHARED:
            continue
        one, other = stories[a], stories[b]
        if not one.entries & other.entries and not one.names & other.names & rare:
            continue
        surprise = sum(math.log(among[k] / key_df[k]) for k in one.keys & other.keys)
        surprise += sum(math.log(size / entry_df[e]) for e in one.entries & other.entries)
        if surprise >= needed:
            yield a, b


def _storyline(thread: Sequence[_Described], zone: tzinfo, new: Collection[int],
               shown: Callable[[StoryItem], StoryItem] | None) -> Storyline:
    show = shown or (lambda i: i)
    members = sorted((show(i) for s in thread for i in s.items), key=lambda i: (i.published, i.item_id))
    last_day = max(s.day for s in thread)
    lead = show(headline(sorted((i for s in thread if s.day == last_day for i in s.items),
                                key=lambda i: (i.published, i.item_id))))
    outlets: dict[str, str] = {}
    for item in members:
        outlets.setdefault(item.outlet.casefold(), item.outlet)
    first, last = members[0], members[-1]
    return Storyline(
        title=lead.title, link=lead.link, language=lead.language, first_seen=first.published, first_outlet=first.outlet,
        days=(last.published.astimezone(zone).date() - first.published.astimezone(zone).date()).days + 1,
        items=tuple(StorylineItem(item_id=i.item_id, title=i.title, link=i.link, published=i.published,
                                  outlet=i.outlet, language=i.language, new=i.item_id in new) for i in members),
        outlets=tuple(outlets.values()),
        languages=tuple(sorted({tongue(i.language, i.title) for i in members})),
        entries=tuple(sorted({e for i in members for e in i.entries})),
        new=sum(1 for i in members if i.item_id in new),
    )
