"""Story grouping and the trend rules, as tables: pure functions, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.models import Period
from watcher.report.stories import StoryItem, content_keys, group_stories, headline, jaccard, link_key, title_words
from watcher.report.trends import baseline, change, earlier_periods, novelty, pairs, regular

T = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def item(n: int, title: str, outlet: str = "A", hours: float = 0, link: str | None = None,
         entries: tuple[str, ...] = (), language: str | None = None, lead: str = "") -> StoryItem:
    return StoryItem(item_id=n, title=title, outlet=outlet, published=T + timedelta(hours=hours), link=link,
                     entries=frozenset(entries), language=language, lead=lead)


# The content keys of the watched names the items' entries stand for, as a digest passes them.
NAMES = content_keys("Nikol Pashinyan Pashinian Никол Пашинян Նիկոլ Փաշինյան Ilham Aliyev Ильхам Алиев")


def grouped(items: list[StoryItem]) -> list[list[int]]:
    return [[i.item_id for i in g] for g in group_stories(items, names=NAMES)]


@pytest.mark.parametrize(("items", "expected"), [
    # near-duplicate titles from two outlets
    ([item(1, "Pashinyan and Aliyev meet in Abu Dhabi", "Azatutyun"),
      item(2, "Pashinyan, Aliyev meet in Abu Dhabi for talks", "Reuters", 1)], [[1, 2]]),
    # the same names in another spelling fold to the same words
    ([item(1, "Pashinian meets Aliev in Abu Dhabi"), item(2, "Pashinyan meets Aliyev in Abu-Dhabi", "B")], [[1, 2]]),
    # sharing only a name is not one story
    ([item(1, "Pashinyan visits Paris"), item(2, "Pashinyan criticises opposition", "B")], [[1], [2]]),
    # titles differing only by a number stay apart
    ([item(1, "item 1"), item(2, "item 2")], [[1], [2]]),
    # the same page under tracking parameters and www
    ([item(1, "First headline", link="https://www.a.am/news/1?utm_source=rss"),
      item(2, "Entirely other words", "B", link="http://a.am/news/1/")], [[1, 2]]),
    # another script, the same two entries, close in time
    ([item(1, "Pashinyan and Aliyev sign declaration", entries=("pashinyan", "aliyev")),
      item(2, "Пашинян и Алиев подписали декларацию", "B", 3, entries=("pashinyan", "aliyev"))], [[1, 2]]),
    # ... but not a day apart, nor with only one shared entry, nor in the same script
    ([item(1, "Pashinyan and Aliyev sign declaration", entries=("pashinyan", "aliyev")),
      item(2, "Пашинян и Алиев подписали декларацию", "B", 20, entries=("pashinyan", "aliyev"))], [[1], [2]]),
    ([item(1, "Pashinyan speaks", entries=("pashinyan",)),
      item(2, "Пашинян выступил", "B", 1, entries=("pashinyan",))], [[1], [2]]),
    ([item(1, "Pashinyan and Aliyev sign", entries=("pashinyan", "aliyev")),
      item(2, "Leaders quarrel over corridor", "B", 1, entries=("pashinyan", "aliyev"))], [[1], [2]]),
    ([], []),
])
def test_group_stories(items: list[StoryItem], expected: list[list[int]]) -> None:
    assert grouped(items) == expected
    assert grouped(list(reversed(items))) == expected  # order of input does not matter


@pytest.mark.parametrize(("items", "expected"), [
    # one event in three scripts, twenty minutes apart: a watched name and a place not on the watchlist
    ([item(1, "Pashinian meets regional governors in Gyumri", entries=("pashinyan",), language="en"),
      item(2, "Փաշինյանի այցը Գյումրի", "B", 0.33, entries=("pashinyan",), language="hy"),
      item(3, "Пашинян провёл в Гюмри встречу с губернаторами", "C", 0.5, entries=("pashinyan",), language="ru")],
     [[1, 2, 3]]),
    # the lead tells what the title does not: the Lachin road, in English and Russian
    ([item(1, "Russian peacekeepers report ceasefire violation", entries=("peacekeepers",), language="en",
           lead="Shots were fired near the Lachin road overnight."),
      item(2, "Российские миротворцы зафиксировали нарушение перемирия", "B", 1, entries=("peacekeepers",),
           language="ru", lead="Стрельба у Лачинской дороги ночью.")], [[1, 2]]),
    # two different Pashinyan items on one day in two scripts are two stories
    ([item(1, "Pashinyan meets EU envoy in Yerevan", entries=("pashinyan",), language="en"),
      item(2, "Пашинян выступил в парламенте о ценах на газ", "B", 2, entries=("pashinyan",), language="ru")],
     [[1], [2]]),
    # ... even with two watched names in common and a common title word (minister) between them
    ([item(1, "Prime Minister Pashinyan criticises Aliyev", entries=("pashinyan", "aliyev"), language="en"),
      item(2, "Премьер-министр Пашинян ответил Алиеву", "B", 1, entries=("pashinyan", "aliyev"), language="ru")],
     [[1], [2]]),
    # a rare place shared across languages, but nothing else: a coincidence
    ([item(1, "Storm in Gyumri", language="en"), item(2, "Ограбление в Гюмри", "B", 1, language="ru")], [[1], [2]]),
    # English and Azerbaijani are both Latin: their languages tell them apart
    ([item(1, "Aliyev opens school in Fuzuli", entries=("aliyev",), language="en"),
      item(2, "Əliyev Füzulidə məktəb açdı", "B", 1, entries=("aliyev",), language="az")], [[1, 2]]),
])
def test_stories_across_languages(items: list[StoryItem], expected: list[list[int]]) -> None:
    assert [[i.item_id for i in g] for g in group_stories(items, names=NAMES)] == expected
    assert [[i.item_id for i in g] for g in group_stories(list(reversed(items)), names=NAMES)] == expected


def test_content_keys_are_one_word_in_three_scripts_and_their_case_endings() -> None:
    assert content_keys("Gyumri") == content_keys("Гюмри") == content_keys("Գյումրի") == content_keys("Գյումրիում")
    assert content_keys("Yerevan") == content_keys("Ереване") == content_keys("Երևան")
    assert content_keys("Pashinyan") == content_keys("Пашиняна") == content_keys("Փաշինյանի")
    assert content_keys("the in of") == frozenset() and content_keys("15 2026") == {"15", "2026"}


def test_many_items_group_fast_and_exactly() -> None:
    items = [item(n, f"Pashinyan border w{n // 3}a w{n // 3}b w{n // 3}c {'x' if n % 3 else ''}", f"O{n % 3}",
                  n / 100) for n in range(3000)]
    groups = grouped(items)
    assert len(groups) == 1000 and all(len(g) == 3 for g in groups)


@pytest.mark.parametrize(("title", "words"), [
    ("The Pashinyan government and the opposition", {"pasinian", "kovernment", "oppositon"}),
    ("Пашинян и оппозиция", {"pasinian", "oppozitsiia"}),
])
def test_title_words_drop_stop_words(title: str, words: set[str]) -> None:
    found = title_words(title)
    assert "te" not in found and "and" not in found and "i" not in found
    assert "pasinian" in found and len(found) == len(words)


def test_jaccard_and_links() -> None:
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0
    assert link_key("https://www.A.am/x/?b=2&a=1&utm_medium=x#frag") == "a.am/x?a=1&b=2"
    assert link_key("http://a.am/x/") == link_key("https://www.a.am/x") == "a.am/x"
    assert link_key("https://a.am/x?from=rss") == "a.am/x"
    assert link_key("not a link") is None and link_key(None) is None


def test_headline_is_in_the_most_common_script_latin_on_a_tie() -> None:
    hy = item(1, "Փաշինյանը մեկնել է Աբու Դաբի")
    en = item(2, "Pashinyan flies to Abu Dhabi", hours=1)
    ru = item(3, "Пашинян вылетел в Абу-Даби", hours=2)
    ru2 = item(4, "Пашинян прибыл в Абу-Даби", hours=3)
    assert headline([hy, en]) == en
    assert headline([hy, en, ru, ru2]) == ru


@pytest.mark.parametrize(("current", "base", "expected"), [
    (0, 0, "same"), (1, 0, "new"), (4, 1.25, "up"), (2, 1, "same"),  # doubling 1 to 2 is noise
    (3, 1.5, "up"), (0, 1.75, "down"), (1, 1.75, "same"), (10, 9, "same"), (2, 6, "down"),
])
def test_change(current: int, base: float, expected: str) -> None:
    assert change(current, base) == expected


def test_baseline_regular_novelty_pairs() -> None:
    assert baseline([9, 1, 2, 3, 2]) == 2.0 and baseline([4]) == 1.0 and baseline([]) == 0.0
    assert regular([0, 1, 1, 1]) and not regular([1, 0, 1, 0]) and not regular([5, 5])
    start = T
    assert novelty(None, start) == "first-ever"
    assert novelty(start - timedelta(days=31), start) == "first-in-30-days"
    assert novelty(start - timedelta(days=29), start) is None
    assert pairs(["c", "a", "b", "a"]) == [("a", "b"), ("a", "c"), ("b", "c")]


def test_earlier_periods_follow_the_schedule_and_end_at_the_start() -> None:
    day = timedelta(days=1)
    fires = [T - n * day for n in range(0, 6)]  # the digest started at a fire time (T), a few ms late
    periods = earlier_periods(T + timedelta(milliseconds=40), fires, count=3)
    assert periods == (Period(T - 3 * day, T - 2 * day), Period(T - 2 * day, T - day),
                       Period(T - day, T + timedelta(milliseconds=40)))
    # too few fire times (or none, for immediate): the rest are as long as the last known period
    assert earlier_periods(T, [T - day], count=2, fallback=day) == (Period(T - 2 * day, T - day), Period(T - day, T))
    assert earlier_periods(T, [], count=0) == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"]),
                         max_size=6), max_size=25))
def test_prefix_filtering_finds_exactly_the_similar_pairs(titles: list[list[str]]) -> None:
    items = [item(n, " ".join(words), f"O{n}", n) for n, words in enumerate(titles)]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        return i if parent[i] == i else find(parent[i])

    words = [title_words(i.title) for i in items]
    for a in range(len(items)):
        for b in range(a):
            common = len(words[a] & words[b])
            if words[a] and words[b] and common >= min(2, len(words[a]), len(words[b])) \
                    and jaccard(words[a], words[b]) >= 0.5:
                parent[find(a)] = find(b)
    naive = sorted(sorted(i for i in range(len(items)) if find(i) == root) for root in {find(i) for i in range(len(items))})
    assert sorted(grouped(items)) == naive


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "sigma"]), min_size=1, max_size=5),
                min_size=30, max_size=80))
def test_dense_titles_join_the_same_components_as_every_pair(titles: list[list[str]]) -> None:
    # Most titles look alike here: whole components are skipped, which must not lose a join.
    items = [item(n, " ".join(words), f"O{n}", n) for n, words in enumerate(titles)]
    words = [title_words(i.title) for i in items]
    groups = {n: {n} for n in range(len(items))}
    for a in range(len(items)):
        for b in range(a):
            if len(words[a] & words[b]) >= min(2, len(words[a]), len(words[b])) and jaccard(words[a], words[b]) >= 0.5:
                joined = groups[a] | groups[b]
                for n in joined:
                    groups[n] = joined
    naive = sorted(sorted(g) for g in {frozenset(g) for g in groups.values()})
    assert grouped(items) == naive
