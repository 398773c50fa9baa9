"""The watchlist schema and loader: valid files load, every mistake is reported as file:line: key: message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import BaseModel, ConfigDict, EmailStr, ValidationError

from watcher.config import parse_watchlist
from watcher.config.durations import parse_duration
from watcher.errors import ConfigError

GOOD = """\
defaults: {every: 30m, timezone: Asia/Yerevan}
sources:
  - name: News.am (English)
    url: https://news.am/eng/rss/
    every: 15m
    language: en
actors:
  - id: pashinyan
    name: Nikol Pashinyan
    kind: person
    aliases: [Pashinian, Пашинян]
    tags: [armenia, government]
terms:
  - id: miatsum
    name: Miatsum
    aliases: [Միացում]
digests:
  - id: daily
    title: South Caucasus daily
    to: [analyst@example.org]
    schedule: "0 7 * * *"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_watchlist(text, "watchlist.yaml")
    return caught.value.problems


def test_the_issue_example_loads_with_defaults_applied() -> None:
    watchlist = parse_watchlist(GOOD)
    source = watchlist.sources[0]
    assert watchlist.interval(source) == timedelta(minutes=15)
    assert watchlist.timezone_of(source) == "Asia/Yerevan"
    assert [e.id for e in watchlist.entries] == ["pashinyan", "miatsum"]
    assert watchlist.entries[1].kind == "term"
    assert watchlist.digests[0].to == ("analyst@example.org",)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("every: 15m", "every: 15 minutes"), "watchlist.yaml:5: sources[0].every: '15 minutes' is not a duration"),
        (("    kind: person", "    kind: persn"), "watchlist.yaml:10: actors[0].kind: Input should be"),
        (("    tags: [armenia", "    colour: red\n    tags: [armenia"), "watchlist.yaml:12: actors[0].colour: Extra inputs"),
        (("to: [analyst@example.org]", "to: [analyst-at-example.org]"),
         "watchlist.yaml:20: digests[0].to[0]: value is not a valid email"),
        (('schedule: "0 7 * * *"', 'schedule: "0 25 * * *"'),
         "watchlist.yaml:21: digests[0].schedule: '0 25 * * *' is not a schedule"),
        (("timezone: Asia/Yerevan", "timezone: Asia/Erevan"), "watchlist.yaml:1: defaults.timezone: unknown time zone"),
        (("url: https://news.am/eng/rss/", "url: news.am/eng/rss/"),
         "watchlist.yaml:4: sources[0].url: 'news.am/eng/rss/' is not an http(s) URL"),
        (("  - id: miatsum", "  - id: pashinyan"),
         "watchlist.yaml:14: terms[0].id: duplicate id 'pashinyan' (first used at actors[0].id)"),
        (("    name: Miatsum", "    name: Miatsum\n    query: (Artsakh AND"), "watchlist.yaml:16: terms[0].query:"),
    ],
)
def test_each_mistake_names_file_line_and_key(edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_yaml_syntax_and_duplicate_keys_have_lines() -> None:
    assert problems(GOOD.replace("    language: en", "   language: en"))[0].startswith("watchlist.yaml:6:")
    assert problems(GOOD.replace("    language: en", "    language: en\n    language: ru"))[0].startswith("watchlist.yaml:7:")


def test_every_problem_is_reported_not_just_the_first() -> None:
    broken = GOOD.replace("every: 15m", "every: soon").replace("kind: person", "kind: robot")
    assert len(problems(broken)) == 2


def test_references_must_resolve() -> None:
    text = GOOD + "situations:\n  - id: power\n    title: Power\n    actors: [pashinyan, kocharyan]\n"
    assert problems(text) == ["watchlist.yaml:25: situations[0].actors[1]: no actor has id 'kocharyan'"]


def test_empty_file_is_an_empty_watchlist() -> None:
    assert parse_watchlist("").sources == ()


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800),
                                               ("1w", 604800), (45, 45)])
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0m", "soon", "15", "-5m", "1.5h", True, float("inf"), float("nan"), 10**400,
                                  "99999999999999d"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


class _PydanticEmails(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    to: tuple[EmailStr, ...]


@pytest.mark.parametrize("address", ["analyst@example.org", " Analyst@EXAMPLE.org ", "Ann <ann@example.org>",
                                     "analyst-at-example.org", "a@b", "x@[127.0.0.1]", "ann@exämple.org", "@x.org"])
def test_digest_addresses_are_checked_and_normalised_as_pydantic_emailstr_does(address: str) -> None:
    text = GOOD.replace("to: [analyst@example.org]", f"to: [{json.dumps(address)}]")
    try:
        expected = _PydanticEmails(to=(address,)).to
    except ValidationError as e:
        assert problems(text) == [f"watchlist.yaml:20: digests[0].to[0]: {e.errors()[0]['msg']}"]
    else:
        assert parse_watchlist(text).digests[0].to == expected
