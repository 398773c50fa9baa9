"""Storylines over five weeks of generated news in three languages (tests/storyline_news.py): each planted storyline
found whole, with its days, items, outlets and languages, and nothing unplanted merged into one; the digest's
storylines as golden text and JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from storyline_news import PLANTS, WATCHLIST, mentioned_items, news, outlet_names, story_items
from test_report_render import check_golden

from watcher.commands.demo_feeds import sample_items
from watcher.config import parse_watchlist
from watcher.models import Period
from watcher.report import Digest, build_digest, digest_to_json, render_html, render_text
from watcher.report.key_items import key_items
from watcher.report.parts import Outlets
from watcher.report.period import PeriodIndex
from watcher.report.situations import watched_keys
from watcher.report.stories import StoryItem, content_keys
from watcher.report.storylines import Storyline, described_by, find_storylines

END = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 07:00 in Yerevan
ZONE = ZoneInfo("Asia/Yerevan")
WATCHED = parse_watchlist(WATCHLIST)
NAMES = watched_keys({e.id: e for e in WATCHED.entries})
NEWS = news(END)
PLANTED = {i.item_id: i.plant for i in NEWS}
TODAY = {i.item_id for i in NEWS if i.published > END - timedelta(days=1)}


def found(window: timedelta = timedelta(days=14), items: list[StoryItem] | None = None) -> dict[str | None, Storyline]:
    lines = find_storylines(story_items(NEWS) if items is None else items, now=END, zone=ZONE, new=TODAY,
                            window=window, names=NAMES)
    out: dict[str | None, Storyline] = {}
    for line in lines:
        plants = {PLANTED[i.item_id] for i in line.items}
        assert len(plants) == 1, (line.title, Counter(PLANTED[i.item_id] for i in line.items))
        (plant,) = plants
        assert plant not in out, f"{plant} split in two"
        out[plant] = line
    return out


def planted(plant: str, window: timedelta = timedelta(days=14)) -> list[int]:
    return [i.item_id for i in NEWS if i.plant == plant and i.published > END - window]


def test_the_news_is_weeks_of_three_languages_with_the_same_people_every_day() -> None:
    assert len(NEWS) > 1000 and {i.language for i in NEWS} == {"en", "ru", "hy"}
    assert (END - NEWS[0].published).days >= 34
    by_person = Counter(e for i in NEWS if i.plant is None for e in i.entries)
    assert by_person["kocharyan"] > 150 and by_person["pashinyan"] > 250 and by_person["grigoryan"] > 80


def test_each_planted_storyline_is_found_whole_and_nothing_else() -> None:
    lines = found()
    # None would be a storyline of unplanted items; gas-talks is older than the window
    assert set(lines) == {"trial", "commission", "resignation", "other-trial"}
    for plant, line in lines.items():
        assert plant is not None and [i.item_id for i in line.items] == planted(plant), plant
    trial = lines["trial"]
    assert (trial.days, len(trial.items), trial.new, trial.languages) == (12, 11, 4, ("en", "hy", "ru"))
    assert trial.first_seen == END - timedelta(days=12, hours=6) and trial.first_outlet == "Caucasus Wire"
    assert set(trial.outlets) == {"Caucasus Wire", "Yerevan Daily", "Кавказская лента", "Вестник Кавказа", "Լրատու",
                                  "Արմլուր"}
    assert trial.title == "Prosecutor sums up at Kocharyan trial" and trial.entries == ("kocharyan",)
    commission = lines["commission"]
    assert (commission.days, len(commission.items), commission.new, commission.languages) == (11, 8, 3,
                                                                                             ("en", "hy", "ru"))
    assert commission.entries == ("grigoryan", "mustafayev") and commission.title == "Border commissions sign Tavush protocol"
    resignation = lines["resignation"]
    # the first day names no watched person: the resigning minister's name is the bridge
    assert (resignation.days, len(resignation.items), resignation.new) == (3, 8, 3)
    assert resignation.title == "Lilit Hovakimyan appointed health minister after Mkrtumyan"
    assert len(resignation.outlets) == 6 and resignation.languages == ("en", "hy", "ru")
    other = lines["other-trial"]  # courtroom words alone did not join it to Kocharyan's trial
    assert (other.days, len(other.items), other.new, other.languages) == (7, 3, 0, ("en", "ru"))
    assert not other.moved and trial.moved


def test_a_longer_window_finds_the_older_storyline() -> None:
    lines = found(timedelta(days=30))
    assert set(lines) == {"trial", "commission", "resignation", "other-trial", "gas-talks"}
    gas = lines["gas-talks"]
    assert [i.item_id for i in gas.items] == planted("gas-talks", timedelta(days=30))
    assert (gas.days, gas.languages, gas.new) == (9, ("en", "ru"), 0)


def test_the_decoys_stay_out() -> None:
    lines = found()
    decoys = {i.item_id for i in NEWS if i.plant is None and i.published > END - timedelta(days=8)
              and ("commission" in i.title or "court" in i.title)}
    assert len(decoys) >= 2  # the trade commission, the court system, and noise with those words
    assert not decoys & {i.item_id for line in lines.values() for i in line.items}


def _one(n: int, title: str, days_ago: float, entries: tuple[str, ...] = ("kocharyan",), lead: str = "") -> StoryItem:
    return StoryItem(item_id=n, title=title, outlet=f"Outlet {n}", published=END - timedelta(days=days_ago),
                     link=f"https://o{n}.example/{n}", entries=frozenset(entries), language="en", lead=lead)


@pytest.mark.parametrize(("items", "linked"), [
    # one frequent entry shared: two unrelated items about the same person
    ([_one(1, "Kocharyan meets students in Gyumri", 3), _one(2, "Kocharyan criticises the budget", 1)], False),
    # the same person and the same rare words and name, days apart: one matter
    ([_one(1, "Kocharyan trial: judge Avetyan hears witness", 3, lead="Judge Lusine Avetyan heard a witness."),
      _one(2, "Judge Avetyan adjourns Kocharyan trial", 1, lead="Judge Lusine Avetyan adjourned the hearing.")], True),
    # ... but not more than a week apart
    ([_one(1, "Kocharyan trial: judge Avetyan hears witness", 9, lead="Judge Lusine Avetyan heard a witness."),
      _one(2, "Judge Avetyan adjourns Kocharyan trial", 1, lead="Judge Lusine Avetyan adjourned the hearing.")], False),
    # rare words but no anchor: no watched entry, no name in common
    ([_one(1, "Trial hearing adjourned after witness testimony", 3, ()),
      _one(2, "Witness testimony heard, trial hearing adjourned", 1, ())], False),
    # one day only is a story, not a storyline
    ([_one(1, "Kocharyan trial: judge Avetyan hears witness", 0.9, lead="Judge Lusine Avetyan heard a witness."),
      _one(2, "Judge Avetyan adjourns Kocharyan trial", 0.8, lead="Judge Lusine Avetyan adjourned the hearing.")], False),
])
def test_the_linking_rule(items: list[StoryItem], linked: bool) -> None:
    lines = find_storylines(items, now=END, zone=UTC, names=NAMES)
    assert bool(lines) == linked


def _digest() -> tuple[Digest, dict[str, Any]]:
    items = mentioned_items(NEWS)
    period = Period(END - timedelta(days=1), END)
    outlets = Outlets(names=outlet_names())
    index = PeriodIndex([i for i in items if i.published > period.start], outlets)
    window = PeriodIndex([i for i in items if i.published > END - timedelta(days=14)], outlets)
    digest = WATCHED.digests[0]
    built = build_digest(digest, WATCHED, index, [], period, now=END, key_items=key_items(WATCHED, digest, index),
                         outlets=outlets, window=window)
    as_json = digest_to_json(built)
    return built, {s["situation_id"]: s["storylines"] for s in as_json["situations"]}


def test_the_digest_shows_the_storylines_that_moved_per_situation() -> None:
    built, storylines = _digest()
    text = render_text(built)
    check_golden("storylines.txt", text)
    check_golden("storylines.json", json.dumps(storylines, ensure_ascii=False, indent=2) + "\n")
    html = render_html(built)
    assert "Storylines · stories of several days that moved this period" in html
    # Yerevan politics: the trial and the resignation (its first day selected by the situation's query); the border:
    # the commission; Melikyan's trial did not move today, so no digest shows it
    assert [line["title"] for line in storylines["yerevan"]] == [
        "Prosecutor sums up at Kocharyan trial", "Lilit Hovakimyan appointed health minister after Mkrtumyan"]
    assert [line["title"] for line in storylines["border"]] == ["Border commissions sign Tavush protocol"]
    trial = storylines["yerevan"][0]
    assert (trial["first_seen"], trial["days"], trial["languages"]) == ("2026-11-11T21:00:00+00:00", 12, ["en", "hy", "ru"])
    assert len(trial["outlets"]) == 6 and len(trial["items"]) == 11
    assert all(set(i) >= {"link", "title", "published", "outlet", "new"} for i in trial["items"])
    assert [i["new"] for i in trial["items"]] == [False] * 7 + [True] * 4
    flat = " ".join(text.split())
    assert "day 12: first reported Thu 12 Nov by Caucasus Wire; now 6 outlets in 3 languages (en, hy, ru), 11 items, 4 new" \
        in flat
    assert sum(1 for p in PLANTS if p[0] == "trial") == 11


def test_the_words_of_an_item_are_its_content_keys() -> None:
    # storylines.described_by reads each word once (a speed layer): the same keys as stories.content_keys
    texts = [(i.title, i.lead) for i in NEWS] + [(i.title, i.text) for i in sample_items(END)]
    texts += [("Пашинян и Алиев в Абу-Даби: «Кольцо»", "ArmInfo.&nbsp;Declaration (2008) — «Օղակ» 1-ի, Qarabağ's c/o"),
              ("Title only", ""), ("", "Lead only, with\ttabs\nand lines")]
    for title, lead in texts:
        assert described_by(title, lead)[0] == content_keys(title, lead), title
    assert described_by("Court hears witness", "Judge Lusine Avetyan said. Then Gyumri")[1] == content_keys(
        "Lusine Avetyan Gyumri")


def test_feed_text_in_a_storyline_never_becomes_markup() -> None:
    built, _ = _digest()
    situation = built.situations[0]
    line = situation.storylines[0]
    hostile = [replace(i, title='<script>alert(1)</script>"><img src=x>', outlet="<b>Wire</b>",
                       link="javascript:alert(1)" if n % 2 else i.link) for n, i in enumerate(line.items)]
    line = replace(line, title="<iframe>", items=tuple(hostile), first_outlet="<i>x</i>")
    html = render_html(replace(built, situations=(replace(situation, storylines=(line,)),)))
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<b>Wire" not in html
    assert "javascript:" not in html and "&lt;script&gt;" in html
