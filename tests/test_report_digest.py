"""build_digest is pure: tables of hand-made matches in, a Digest out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_report_samples import (
    DAILY,
    KEY_ITEMS,
    NOW,
    PERIOD,
    WATCHLIST,
    digest_config,
    match,
    sample_history,
    sample_matches,
    sample_sources,
    stored,
)

from watcher.config.schema import DigestConfig
from watcher.models import Match, MentionedItem, Period, SourceHealth, StoredMatch, publication_date
from watcher.report import Digest, build_digest, digest_to_json, source_problems
from watcher.report.parts import clean_text, mark_names, safe_link, split_marks
from watcher.report.period import period_items
from watcher.report.situations import MAX_GROUPED
from watcher.sources.health import assess


def build(matches: Sequence[StoredMatch] | Sequence[MentionedItem], digest: DigestConfig = DAILY,
          sources: Sequence[SourceHealth] = (), **kw: Any) -> Digest:
    return build_digest(digest, WATCHLIST, matches, sources, PERIOD, now=NOW, **kw)


def test_groups_by_entry_with_counts_and_actors_before_terms() -> None:
    d = build(sample_matches())
    assert [(s.entry_id, s.item_count, s.outlet_count) for s in d.sections] == [
        ("pashinyan", 4, 4), ("aliyev", 2, 2), ("peace-treaty", 1, 1)]
    assert d.total_items == 4  # item 1 is under two entries and counts once
    assert d.top is not None and d.top.entry_id == "pashinyan"
    assert (d.digest_id, d.title, d.timezone, d.period, d.generated_at) == (
        "daily", "South Caucasus daily", "Asia/Yerevan", PERIOD, NOW)


def test_an_item_appears_once_per_entry_with_its_text_snippets_first() -> None:
    si = stored(7, "Pashinyan speaks", text="...")
    d = build([
        match(si, "pashinyan", "[[Pashinyan]] speaks", field="title"),
        match(si, "pashinyan", "said [[Nikol Pashinyan]] today"),
        match(si, "pashinyan", "said [[Nikol Pashinyan]] today"),  # the same snippet twice shows once
        match(si, "pashinyan", "later [[Pashinyan]] added"),
        match(si, "pashinyan", "and [[Pashinyan]] a third time"),
    ])
    (section,) = d.sections
    assert section.item_count == 1 and len(section.items) == 1
    assert section.items[0].snippets == ("said [[Nikol Pashinyan]] today", "later [[Pashinyan]] added")


def test_title_snippet_is_the_fallback_when_only_the_title_matched() -> None:
    si = stored(8, "Aliyev visits Moscow")
    (section,) = build([match(si, "aliyev", "[[Aliyev]] visits Moscow", field="title")]).sections
    assert section.items[0].snippets == ("[[Aliyev]] visits Moscow",)


def test_items_newest_first_and_ties_by_id() -> None:
    items = [stored(i, f"item {i}", hours=h) for i, h in ((1, 5), (2, 1), (3, 3), (4, 3))]
    (section,) = build([match(si, "putin", "[[Putin]]") for si in items]).sections
    assert [i.item_id for i in section.items] == [2, 4, 3, 1]


@pytest.mark.parametrize(("counts", "expected"), [
    ({"putin": 1, "aliyev": 1, "pashinyan": 2}, ["pashinyan", "aliyev", "putin"]),  # count desc, then name
    ({"border": 5, "putin": 1}, ["putin", "border"]),  # actors before terms whatever the counts
    ({"lachin": 2, "putin": 2}, ["lachin", "putin"]),  # places are actors; "Lachin" < "Vladimir"
])
def test_entry_order(counts: dict[str, int], expected: list[str]) -> None:
    matches = []
    n = 100
    for entry_id, count in counts.items():
        for _ in range(count):
            n += 1
            matches.append(match(stored(n, f"item {n}"), entry_id, "[[x]]"))
    assert [s.entry_id for s in build(matches).sections] == expected


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, {"pashinyan", "aliyev", "peace-treaty"}),
    ({"tags": ["azerbaijan"]}, {"aliyev"}),
    ({"tags": ["armenia"]}, {"pashinyan", "peace-treaty"}),
    ({"tags": ["nowhere"]}, set()),
    ({"situations": ["peace"]}, {"pashinyan", "aliyev", "peace-treaty"}),
    ({"situations": ["russia"]}, set()),
    ({"situations": ["peace"], "tags": ["azerbaijan"]}, {"aliyev"}),  # both given: entries passing both
])
def test_filters_by_tags_and_situations(changes: dict[str, list[str]], expected: set[str]) -> None:
    d = build(sample_matches(), digest=digest_config(**changes))
    assert {s.entry_id for s in d.sections} == expected
    assert d.total_items == len({i.item_id for s in d.sections for i in s.items})


def test_matches_of_unknown_entries_and_outside_the_period_are_left_out() -> None:
    si = stored(9, "x")
    d = build([
        match(si, "removed-entry", "[[gone]]"),
        match(si, "putin", "[[Putin]] at start", found_at=PERIOD.start),  # (start, end]: reported last time
        match(si, "putin", "[[Putin]] too late", found_at=PERIOD.end + timedelta(seconds=1)),
    ])
    assert d.empty and d.sections == () and d.total_items == 0 and d.top is None
    (section,) = build([match(si, "putin", "[[Putin]] at end", found_at=PERIOD.end)]).sections
    assert section.entry_id == "putin"


@pytest.mark.parametrize(("n", "cap", "shown", "more"), [(25, 20, 20, 5), (20, 20, 20, 0), (3, 2, 2, 1), (3, 0, 0, 3)])
def test_cap_per_entry_keeps_the_newest(n: int, cap: int, shown: int, more: int) -> None:
    matches = [match(stored(i, f"item {i}", hours=i / 2), "aliyev", "[[Aliyev]]") for i in range(1, n + 1)]
    (section,) = build(matches, max_items=cap).sections
    assert (len(section.items), section.more, section.item_count) == (shown, more, n)
    assert [i.item_id for i in section.items] == list(range(1, shown + 1))


def test_empty_period() -> None:
    d = build([], sources=sample_sources())
    assert d.empty and d.total_items == 0
    assert [p.name for p in d.source_problems] == ["Trend", "Aravot"]


def test_outlet_is_the_publisher_of_search_items_and_counted_case_insensitively() -> None:
    a = stored(1, "a", source="Google News", publisher="Reuters")
    b = stored(2, "b", source="Reuters")
    c = stored(3, "c", source="reuters ")
    (section,) = build([match(x, "putin", "[[Putin]]") for x in (a, b, c)]).sections
    assert section.outlet_count == 1
    assert {(i.outlet, i.source) for i in section.items} == {("Reuters", "Google News"), ("Reuters", "Reuters"),
                                                            ("reuters", "reuters")}


def test_feed_text_is_one_line_and_unsafe_links_are_dropped() -> None:
    si = stored(1, "Breaking\r\nBcc: x@evil\u2028next\u202e", link="javascript:alert(1)")
    (section,) = build([match(si, "putin", "a\n[[Putin]]\tb")]).sections
    item = section.items[0]
    assert (item.title, item.link, item.snippets) == ("Breaking Bcc: x@evil next", None, ("a [[Putin]] b",))


@pytest.mark.parametrize(("url", "expected"), [
    ("https://a.am/x?y=1#z", "https://a.am/x?y=1#z"), (" HTTP://A.AM/ ", "HTTP://A.AM/"),
    ("javascript:alert(1)", None), ("data:text/html,x", None), ("//a.am/x", None), ("/relative", None),
    ("https://a.am/x y", None), ("https://a.am/\nx", None), ("", None), (None, None), ("https://", None),
    ("https://a.am/\u00a0x", None), ("https://a.am/\u2028x", None), ("https://a.am/\x01x", None),
    ("https://a.am/\x7fx", "https://a.am/\x7fx"),
])
def test_safe_link(url: str | None, expected: str | None) -> None:
    assert safe_link(url) == expected


@pytest.mark.parametrize(("snippet", "parts"), [
    ("a [[b]] c", [("a ", False), ("b", True), (" c", False)]),
    ("[[b]][[c]]", [("b", True), ("c", True)]),
    ("no hit", [("no hit", False)]),
    ("broken [[hit", [("broken [[hit", False)]),
])
def test_split_marks(snippet: str, parts: list[tuple[str, bool]]) -> None:
    assert split_marks(snippet) == parts


def test_clean_text() -> None:
    assert clean_text("  a\r\n\tb\x00c\u2029d\u202ee  ") == "a b c d e"


def test_source_problems_failing_first_then_stale_oldest_first() -> None:
    end = PERIOD.end
    day = timedelta(days=1)
    sources = [
        SourceHealth(name="ok", url="u", active=True, last_success_at=end, newest_item_at=end),
        SourceHealth(name="never polled", url="u", active=True),
        SourceHealth(name="stale b", url="u", active=True, last_success_at=end, newest_item_at=end - 4 * day),
        SourceHealth(name="stale a", url="u", active=True, last_success_at=end, newest_item_at=end - 10 * day),
        SourceHealth(name="weekly", url="u", active=True, last_success_at=end, newest_item_at=end - 10 * day),
        SourceHealth(name="not polled lately", url="u", active=True, last_success_at=end - 5 * day),
        SourceHealth(name="fail 1", url="u", active=True, consecutive_failures=1, last_error="x" * 1000),
        SourceHealth(name="fail 5", url="u", active=True, consecutive_failures=5, last_error="timeout"),
        SourceHealth(name="gone", url="u", active=True, consecutive_failures=1, disabled_reason="HTTP 410"),
        SourceHealth(name="removed", url="u", active=False, consecutive_failures=9),
    ]
    times = {"ok": [end - n * day for n in range(3)], "stale b": [end - n * day for n in (4, 5, 6)],
             "stale a": [end - n * day for n in (10, 11, 12)], "weekly": [end - n * day for n in (10, 17, 24)]}
    # "not polled lately" is overdue: a matter for `watcher status`, not for a digest about what sources bring.
    problems = source_problems(assess(sources, now=NOW, intervals={}, item_times=times))
    assert [(p.name, p.problem) for p in problems] == [
        ("fail 5", "failing"), ("fail 1", "failing"), ("gone", "failing"), ("stale a", "stale"), ("stale b", "stale")]
    assert len(problems[1].last_error or "") == 300


def test_digest_is_frozen_all_the_way_down() -> None:
    d = build(sample_matches(), sources=sample_sources())
    for obj in (d, d.sections[0], d.sections[0].items[0], d.source_problems[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, dataclasses.fields(obj)[0].name, "changed")
    assert isinstance(d.sections, tuple) and isinstance(d.sections[0].items[0].snippets, tuple)
    hash(d)  # hashable only if every field is immutable


def test_json_has_stable_keys_and_round_trips() -> None:
    data = digest_to_json(build(sample_matches(), sources=sample_sources()))
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["schema_version", "digest_id", "title", "timezone", "period", "generated_at",
                          "sections", "source_problems", "total_items", "situations", "query_items", "left_out",
                          "emerging"]
    situation = data["situations"][0]
    for key in ("attention", "new", "quiet", "pairings", "stories", "sources", "bursts"):
        assert key in situation, key
    assert data["period"] == {"start": "2026-11-21T03:00:00+00:00", "end": "2026-11-22T03:00:00+00:00"}
    section = data["sections"][0]
    assert list(section) == ["entry_id", "name", "kind", "item_count", "outlet_count", "items", "more"]
    assert list(section["items"][0]) == ["item_id", "title", "outlet", "source", "published", "link", "snippets",
                                         "language", "note"]
    assert list(data["source_problems"][0]) == ["name", "url", "problem", "consecutive_failures", "last_error",
                                                "last_success_at", "newest_item_at"]


def test_build_is_deterministic_whatever_the_match_order() -> None:
    matches = sample_matches()
    assert build(matches) == build(list(reversed(matches)))


def test_period_of_other_length() -> None:
    week = Period(PERIOD.end - timedelta(days=7), PERIOD.end)
    d = build_digest(DAILY, WATCHLIST, sample_matches(), [], week, now=NOW)
    assert d.period == week and d.total_items == 4


def test_stories_past_the_grouping_bound_are_counted_and_an_old_key_item_still_leads() -> None:
    # Past MAX_GROUPED items each is a story of its own: ranked and counted without being built.
    n = MAX_GROUPED + 30
    items = [stored(i, f"Pashinyan headline w{i}a w{i}b", hours=1 + i / 200, link=f"https://example.org/news/{i}")
             for i in range(n)]
    matches = [StoredMatch(id=i, stored_item=si, match=Match(entry_id="pashinyan", field="text", text="Pashinyan",
                                                             start=0, end=9, snippet=f"[[Pashinyan]] said {i}"),
                           found_at=si.first_seen) for i, si in enumerate(items)]
    peace = next(s for s in build(matches, key_items={"peace": {n - 1}}).situations if s.situation_id == "peace")
    assert (peace.item_count, peace.key_count, len(peace.stories), peace.more_stories) == (n, 1, 10, n - 10)
    first, second = peace.stories[:2]
    assert (first.key, first.title, first.snippet) == (True, f"Pashinyan headline w{n - 1}a w{n - 1}b",
                                                       f"[[Pashinyan]] said {n - 1}")
    assert (second.key, second.title) == (False, "Pashinyan headline w0a w0b")  # then the newest


def test_the_store_s_items_and_stored_matches_make_the_same_digest() -> None:
    old = match(stored(9, "Old news"), "pashinyan", "[[Pashinyan]]", found_at=PERIOD.start)  # before the period
    matches = [*sample_matches(), old]
    items = period_items(matches, PERIOD)
    assert 9 not in {i.id for i in items} and len(items) == 4
    history = sample_history()
    assert build(items, history=history, key_items=KEY_ITEMS) == build(matches, history=history, key_items=KEY_ITEMS)


def test_stories_past_the_grouping_bound_tie_on_time_and_are_ranked_by_title() -> None:
    # Every item at the same time: key items first, then by title, wherever the bound falls.
    n = MAX_GROUPED + 40
    items = [stored(i, f"Pashinyan {i:05d}", hours=1, link=None) for i in range(n)]  # the oldest sort first
    matches = [match(si, "pashinyan", "[[Pashinyan]]") for si in items]
    key = {3, 5, n - 2}
    peace = next(s for s in build(matches, key_items={"peace": key}).situations if s.situation_id == "peace")
    expected = sorted(items, key=lambda si: (si.id not in key, si.item.title.casefold()))[:10]
    assert [s.title for s in peace.stories] == [si.item.title for si in expected]
    assert [s.key for s in peace.stories] == [True] * 3 + [False] * 7
    assert peace.more_stories == n - 10


def test_every_watched_name_in_a_snippet_is_marked() -> None:
    si = stored(1, "Pashinyan and Aliyev meet")
    text = "Nikol Pashinyan and Ilham Aliyev met; Aliyeva was not there"
    matches = [match(si, "pashinyan", "[[Nikol Pashinyan]] and Ilham Aliyev met; Aliyeva was not there"),
               match(si, "aliyev", "Nikol Pashinyan and [[Ilham Aliyev]] met; Aliyeva was not there")]
    d = build(matches)
    (pashinyan,) = [s for s in d.sections if s.entry_id == "pashinyan"]
    assert pashinyan.items[0].snippets == ("[[Nikol Pashinyan]] and [[Ilham Aliyev]] met; Aliyeva was not there",)
    assert mark_names(text, ["Aliyev", "Ilham Aliyev"]) == "Nikol Pashinyan and [[Ilham Aliyev]] met; Aliyeva was not there"


@pytest.mark.parametrize(("published", "counted"), [
    (PERIOD.start, PERIOD.start),  # a date before it was seen: the date
    (PERIOD.end + timedelta(days=2), PERIOD.end),  # in the future of when it was seen: when it was seen
    (datetime(1970, 1, 1, tzinfo=UTC), PERIOD.end),  # absurd: when it was seen
])
def test_publication_date_falls_back_to_first_seen(published: datetime, counted: datetime) -> None:
    assert publication_date(published, PERIOD.end) == counted
