"""The matcher's contract: full name, surname, aliases, word boundaries, case and accents, offsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.config.schema import ActorConfig, TermConfig
from watcher.match import Matcher, compile_matcher
from watcher.models import Item


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher([
        ActorConfig(id="pashinyan", name="Nikol Pashinyan"),
        ActorConfig(id="putin", name="Vladimir Putin"),
        ActorConfig(id="sargsyan", name="Serzh Sargsyan", aliases=("Sarkisian",)),
        TermConfig(id="minsk-group", name="Minsk Group"),
    ])


def found(matcher: Matcher, title: str, text: str = "") -> list[tuple[str, str, str, str]]:
    return [(m.entry_id, m.field, m.text, m.rule) for m in matcher.match_text(title, text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Nikol Pashinyan arrives", [("pashinyan", "title", "Nikol Pashinyan", "name")]),
    ("PASHINYAN arrives", [("pashinyan", "title", "PASHINYAN", "surname")]),
    ("Pashinyán arrives", [("pashinyan", "title", "Pashinyán", "surname")]),
    ("Sarkisian said", [("sargsyan", "title", "Sarkisian", "alias")]),
    ("the minsk group met", [("minsk-group", "title", "minsk group", "name")]),
    ("Rasputin was a monk", []),
    ("Vladimir arrived", []),
    ("Minsk is a city", []),
    ("putin.ru and mail@putin.ru and <a href='x' title='Putin'>link</a>", []),
])
def test_title_matches(matcher: Matcher, text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert found(matcher, text) == expected


def test_offsets_point_into_the_original_strings(matcher: Matcher) -> None:
    item = Item(key="k", title="Visit", text="On Monday — Никола Пашиняна встретил Путин.", link=None,
                published=datetime(2024, 1, 1, tzinfo=UTC))
    matches = matcher.match(item)
    assert [(m.entry_id, m.field) for m in matches] == [("pashinyan", "text"), ("putin", "text")]
    for m in matches:
        assert item.text[m.start:m.end] == m.text
        assert f"[[{m.text}]]" in m.snippet
    assert matches[0].text == "Никола Пашиняна"


def test_snippet_is_about_25_words(matcher: Matcher) -> None:
    text = " ".join(f"w{i}" for i in range(40)) + " Putin " + " ".join(f"v{i}" for i in range(40))
    (m,) = matcher.match_text("", text)
    assert m.snippet.startswith("… w28 ") and m.snippet.endswith(" v11 …")
    assert len(m.snippet.split()) == 12 + 1 + 12 + 2


def test_snippet_keeps_punctuation_glued_to_the_hit(matcher: Matcher) -> None:
    (m,) = matcher.match_text("", "Said (Pashinyan), then left.")
    assert m.snippet == "Said ([[Pashinyan]]), then left."


def test_an_empty_watchlist_matches_nothing() -> None:
    matcher = compile_matcher([])
    assert matcher.match_text("Pashinyan met Putin", "Пашинян") == ()
    assert [e for e in matcher.explain("Pashinyan met Putin") if e.matched] == []
