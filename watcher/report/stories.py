"""Stories: the items of a period that tell the same news, grouped across outlets and languages.

Two items are one story when their links are the same page, when their titles are near duplicates
(Jaccard similarity of folded title words, so "Пашинян" and "Pashinyan" are one word), or when they are
written in different scripts, mention the same two or more entries and were published close in time.
Pure functions; candidate pairs come from prefix filtering, so a period of many thousand items stays fast.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from watcher.match.normalize import fold, script
from watcher.parse import canonical_link

SIMILAR = 0.5  # Jaccard of title words at or above which two titles are one story
CROSS_LANGUAGE_WINDOW = timedelta(hours=12)

# Folded like titles, so a stop word is dropped in any script that spells it the same way.
_STOP_WORDS = (
    "the a an of in on at to for and or with from by as is are was were be has have had will would after "
    "over about into says said new its his her their this that it not no up out more than amid against "
    "и в во на с со по к о об от из за для что как не но а же это его ее их был была были будет после "
    "при у до над под также заявил заявила"
)


@dataclass(frozen=True, slots=True)
class StoryItem:
    """One item as story grouping sees it."""

    item_id: int
    title: str
    outlet: str
    published: datetime
    link: str | None = None
    entries: frozenset[str] = frozenset()


def group_stories(items: Sequence[StoryItem], *, similar: float = SIMILAR, window: timedelta = CROSS_LANGUAGE_WINDOW,
                  words: Callable[[str], frozenset[str]] | None = None,
                  links: Callable[[str | None], str | None] | None = None) -> list[list[StoryItem]]:
    """Items grouped into stories; each group oldest first, groups in order of their first item.

    ``words`` and ``links`` stand for ``title_words`` and ``link_key`` (a caller that groups the same
    items again passes them remembered).
    """
    ordered = sorted(items, key=lambda i: (i.published, i.item_id))
    sets = _Components(len(ordered))
    for a, b in _same_links(ordered, links or link_key):
        sets.union(a, b)
    _join_similar_titles(sets, list(map(words or title_words, (i.title for i in ordered))), similar)
    for a, b in _same_entries_other_script(ordered, window):
        sets.union(a, b)
    groups: dict[int, list[StoryItem]] = {}
    for index, item in enumerate(ordered):  # a component's first item comes first, so groups keep that order
        groups.setdefault(sets.find(index), []).append(item)
    return list(groups.values())


def title_words(title: str) -> frozenset[str]:
    """The folded words of a title that can tell stories apart (stop words and single letters dropped)."""
    stop = _stop_words()
    return frozenset(w for w in fold(title).split() if (len(w) > 1 or w.isdigit()) and w not in stop)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def link_key(link: str | None) -> str | None:
    """What makes two links one article for story grouping: the parser's canonical link (tracking and AMP variants
    removed) without scheme, ``www.`` and trailing slash, which outlets mix freely; None when there is no link."""
    if not link or "://" not in link:
        return None
    canonical = canonical_link(link)
    host_and_path = canonical.split("://", 1)[1].removeprefix("www.")
    path, _, query = host_and_path.partition("?")
    return path.rstrip("/") + (f"?{query}" if query else "")


def headline(group: Sequence[StoryItem]) -> StoryItem:
    """The item whose title names the story: the earliest in the script most of the group is written in.

    On a tie the Latin script wins, as more readers read it.
    """
    written = [_script(i.title) for i in group]
    scripts = Counter(written)
    best = max(scripts, key=lambda s: (scripts[s], s == "latin"))
    return group[written.index(best)]


def _script(title: str) -> str:
    # script() reads every letter of a Latin title; an ASCII one has no letter of another script.
    return "latin" if title.isascii() else script(title)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(fold(_STOP_WORDS).split())


def _same_links(items: Sequence[StoryItem], link_key: Callable[[str | None], str | None]) -> Iterable[tuple[int, int]]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        link = link_key(item.link)
        if link is not None:
            yield first.setdefault(link, index), index


class _Components:
    """Union-find over item indices, by size; each component carries the title words its items index."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size
        self.index: dict[int, dict[str, list[tuple[int, int]]]] = {}  # root -> word -> (item, position)
        self.roots: dict[str, set[int]] = defaultdict(set)  # word -> roots of components that index it

    def find(self, i: int) -> int:
        """The root of ``i``'s component."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        """Join the components of ``a`` and ``b``, the smaller one's index moved into the larger's."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        moved = self.index.pop(rb, None)
        if moved:
            into = self.index.setdefault(ra, {})
            for word, entries in moved.items():
                into.setdefault(word, []).extend(entries)
                roots = self.roots[word]
                roots.discard(rb)
                roots.add(ra)

    def add(self, i: int, word: str, position: int) -> None:
        """Index item ``i`` under ``word`` at ``position`` of its rarest-first words."""
        root = self.find(i)
        self.index.setdefault(root, {}).setdefault(word, []).append((i, position))
        self.roots[word].add(root)


def _join_similar_titles(sets: _Components, words: Sequence[frozenset[str]], threshold: float) -> None:
    # AllPairs prefix filtering: with words ordered rarest first and sets visited smallest first, two sets
    # with Jaccard >= t share a word among the first n - ceil(t * n) + 1 words of the larger and the first
    # n - ceil(2t / (1 + t) * n) + 1 of the smaller, so only those are indexed and probed; the positions of
    # the first shared word bound the overlap, which rules out most of the remaining candidates.
    # Only components matter, not every similar pair: candidates are kept per component, and a component
    # already joined to the item is skipped whole, so a period where most titles look alike stays linear.
    frequency = Counter(w for ws in words for w in ws)
    rarity = {w: n for n, w in enumerate(sorted(frequency, key=lambda w: (frequency[w], w)))}
    probe_share, index_share, pair_share = threshold, 2 * threshold / (1 + threshold), threshold / (1 + threshold)
    # the overlap two sets of these sizes (summed) need
    needed = [math.ceil(pair_share * total - 1e-9) for total in range(2 * max(map(len, words), default=0) + 1)]
    find, roots_of, index = sets.find, sets.roots, sets.index
    for i in sorted(range(len(words)), key=lambda n: len(words[n])):
        ws = words[i]
        size = len(ws)
        if not size:
            continue
        ranked = sorted(ws, key=rarity.__getitem__)
        seen: set[int] = set()
        mine = find(i)
        for position, w in enumerate(ranked[:size - math.ceil(probe_share * size - 1e-9) + 1]):
            left = size - position
            for root in list(roots_of.get(w, ())):
                if find(root) == mine:
                    continue
                for j, other_position in index[root][w]:
                    if j in seen:
                        continue
                    seen.add(j)
                    other = words[j]
                    n = len(other)
                    # the words after the first shared one bound the overlap
                    if min(left, n - other_position) < needed[size + n]:
                        continue
                    common = len(ws & other)
                    if common >= min(2, size, n) and common / (size + n - common) >= threshold:  # Jaccard
                        sets.union(i, j)
                        mine = find(i)
                        break  # the rest of this component is joined now
        for position, w in enumerate(ranked[:size - math.ceil(index_share * size - 1e-9) + 1]):
            sets.add(i, w, position)


def _same_entries_other_script(items: Sequence[StoryItem], window: timedelta) -> Iterable[tuple[int, int]]:
    by_entries: dict[frozenset[str], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if len(item.entries) >= 2:  # one shared name is not enough: Pashinyan is in many stories a day
            by_entries[item.entries].append(index)
    for indices in by_entries.values():
        written = [_script(items[i].title) for i in indices]
        if len(set(written)) < 2:  # all in one script: nothing to join across languages
            continue
        # ``items`` is in time order, so each bucket is too: compare only within the window.
        for n in range(1, len(indices)):
            i = indices[n]
            for m in range(n - 1, -1, -1):
                j = indices[m]
                if items[i].published - items[j].published > window:
                    break
                if written[n] != written[m]:
                    yield j, i
                    break
