"""Stories: the items of a period that tell the same news, grouped across outlets and languages.

Two items are one story when their links are the same page, when their titles are near duplicates
(Jaccard similarity of folded title words, so "Пашинян" and "Pashinyan" are one word), or when they are
written in different scripts or languages, were published close in time and share the rare content words of
their titles and leads: every word transliterated and folded to one ASCII key (the matcher's ``fold``: Գյումրի,
Гюмри and Gyumri are one word) and cut to its first letters, which stems the case endings of three languages
alike (Փաշինյանի, Пашиняна, Pashinyan). Shared watched names and time alone do not make one story (two
Pashinyan items on one day are two stories): the items must also share a word that is no watched name and that
few items of the period use (a place or person not on the watchlist, a number, a rare word).
Pure functions; candidate pairs come from prefix filtering and rare words, so a period of many thousand items
stays fast.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from watcher.match.normalize import fold, script
from watcher.parse import canonical_link

SIMILAR = 0.5  # Jaccard of title words at or above which two titles are one story
CROSS_LANGUAGE_WINDOW = timedelta(hours=12)
STEM = 5  # letters of a folded word that stand for it across languages (its case endings cut off)
LEAD_WORDS = 40  # words of an item's text read as its lead
# A word shared across languages tells a story apart when at most this many items of the period (or this share
# of them) use it: the items of one story use it, a capital city mentioned every day does not.
RARE_ITEMS, RARE_SHARE = 6, 0.05

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
    language: str | None = None  # the item's language when known; its script tells otherwise
    lead: str = ""  # the beginning of its text


def group_stories(items: Sequence[StoryItem], *, similar: float = SIMILAR, window: timedelta = CROSS_LANGUAGE_WINDOW,
                  words: Callable[[str], frozenset[str]] | None = None,
                  links: Callable[[str | None], str | None] | None = None,
                  keys: Callable[[StoryItem], frozenset[str]] | None = None,
                  names: frozenset[str] = frozenset()) -> list[list[StoryItem]]:
    """Items grouped into stories; each group oldest first, groups in order of their first item.

    ``words``, ``links`` and ``keys`` stand for ``title_words``, ``link_key`` and the ``content_keys`` of an item's
    title and lead (a caller that groups the same items again passes them remembered); ``names`` are the content
    keys of the watched names, which alone never join items across languages.
    """
    ordered = sorted(items, key=lambda i: (i.published, i.item_id))
    sets = _Components(len(ordered))
    for a, b in _same_links(ordered, links or link_key):
        sets.union(a, b)
    _join_similar_titles(sets, list(map(words or title_words, (i.title for i in ordered))), similar)
    keyed = list(map(keys or (lambda i: content_keys(i.title, i.lead)), ordered))
    for a, b in _same_event_other_language(ordered, keyed, names, window):
        sets.union(a, b)
    groups: dict[int, list[StoryItem]] = {}
    for index, item in enumerate(ordered):  # a component's first item comes first, so groups keep that order
        groups.setdefault(sets.find(index), []).append(item)
    return list(groups.values())


def title_words(title: str) -> frozenset[str]:
    """The folded words of a title that can tell stories apart (stop words and single letters dropped)."""
    stop = _stop_words()
    return frozenset(w for w in fold(title).split() if (len(w) > 1 or w.isdigit()) and w not in stop)


def content_keys(title: str, lead: str = "") -> frozenset[str]:
    """The words of a title and its lead as stories compare them across languages: folded to ASCII (an English c
    spelt k or s first), doubled letters and a word-initial "ie" (ye, е) merged, cut to ``STEM`` letters; stop
    words and short words dropped, numbers of two digits or more kept."""
    stop = _stop_words()
    text = f"{title} {' '.join(lead.split()[:LEAD_WORDS])}" if lead else title
    out = set()
    for word in fold(_ASCII_WORD.sub(_english_c, text)).split():
        if word in stop or (len(word) < 4 and not (word.isdigit() and len(word) > 1)):
            continue
        out.add(_stem(word))
    return frozenset(out)


def language(item: StoryItem) -> str | None:
    """The item's language without its region (``en`` for en-US), None when unknown."""
    return item.language.split("-")[0].lower() if item.language else None


def tongue(language: str | None, title: str) -> str:
    """What a story counts as one language: the item's language without its region, else its title's script."""
    return language.split("-")[0].lower() if language else _script(title)


@lru_cache(maxsize=1 << 16)  # a period's words repeat: each is stemmed once
def _stem(word: str) -> str:
    if word.startswith("ie"):
        word = word[1:]
    return _DOUBLED.sub(r"\1", word)[:STEM]


_DOUBLED = re.compile(r"(.)\1+")
_ASCII_WORD = re.compile(r"\b[A-Za-z]*[Cc][A-Za-z]*\b")
_SOFT_C = re.compile(r"[Cc](?=[EIYeiy])")
_HARD_C = re.compile(r"[Cc](?![Hh])")


def _english_c(word: re.Match[str]) -> str:
    # The matcher's fold keeps an English c as c, the letter it also gives ch (Lachin, Лачин): spelt as it sounds
    # first, "declaration" meets декларация and "council" meets Kaunsil. Only ASCII words: an Azerbaijani c is j.
    return _sounded_c(word.group(0))


@lru_cache(maxsize=1 << 16)
def _sounded_c(word: str) -> str:
    return _HARD_C.sub("k", _SOFT_C.sub("s", word))


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


# Words that cross languages in the same spelling (internationalisms: Prime Minister, Премьер-министр) but say
# nothing about which event a story is: never the rare word that joins two items across languages.
_COMMON_ACROSS = (
    "minister ministry ministers premier prime parliament president presidential conference forum summit deputy "
    "general official national international regional political politics economy economic bank central company "
    "project programme program sport media information agency republic "
    "министр министерство премьер парламент президент конференция форум саммит депутат генерал официальный "
    "национальный международный региональный политика политический экономика экономический банк центральный "
    "компания проект программа спорт медиа информация агентство республика "
    "նախարար պառլամենտ նախագահ կոնֆերանս ֆորում պատգամավոր գեներալ ազգային միջազգային քաղաքական տնտեսություն "
    "բանկ ընկերություն ծրագիր սպորտ հանրապետություն"
)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(fold(_STOP_WORDS).split())


@lru_cache(maxsize=1)
def common_across() -> frozenset[str]:
    """The stems of words that cross languages but say nothing of which event an item is about."""
    return frozenset(_stem(w) for w in fold(_COMMON_ACROSS).split())


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


def _same_event_other_language(items: Sequence[StoryItem], keys: Sequence[frozenset[str]], names: frozenset[str],
                               window: timedelta) -> Iterable[tuple[int, int]]:
    """Pairs of items in different scripts or languages, published within ``window`` of each other, that share two
    things or more (content keys that are no watched name, watched entries), one of them a key rare in the period."""
    frequency = Counter(k for ks in keys for k in ks)
    rare = max(RARE_ITEMS, int(len(items) * RARE_SHARE))
    common = common_across()
    tongue = [language(i) for i in items]
    written = [_script(i.title) for i in items]
    by_key: dict[str, list[int]] = defaultdict(list)  # rare keys that are no watched name -> items, in time order
    for index, ks in enumerate(keys):
        for k in ks:
            if k not in names and k not in common and frequency[k] <= rare:
                by_key[k].append(index)
    seen: set[tuple[int, int]] = set()
    for indices in by_key.values():
        for n, i in enumerate(indices):
            for j in indices[n + 1:]:
                if items[j].published - items[i].published > window:
                    break
                # Items of unknown language are told apart by their script alone.
                if (i, j) in seen or (written[i] == written[j] and (tongue[i] == tongue[j] or None in (tongue[i], tongue[j]))):
                    continue
                seen.add((i, j))
                # A shared entry counts once, whatever its spelling in each language (миротворцы, peacekeepers).
                if len((keys[i] & keys[j]) - names - common) + len(items[i].entries & items[j].entries) >= 2:
                    yield i, j
