"""`watcher explain`: hits with their rule and spelling, near misses with the reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.config.schema import ActorConfig
from watcher.match import Matcher, compile_matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher([
        ActorConfig(id="putin", name="Vladimir Putin"),
        ActorConfig(id="pashinyan", name="Nikol Pashinyan"),
        ActorConfig(id="sargsyan", name="Serzh Sargsyan", aliases=("Sarkisian",), exclude=("Tigran Sargsyan",)),
        ActorConfig(id="tarasov", name="Stanislav Tarasov", context=("Karabakh",)),
        ActorConfig(id="mikhailov", name="Evgeniy Mikhailov", surname=False),
    ])


def explained(matcher: Matcher, text: str) -> list[tuple[str, bool, str, str]]:
    return [(e.entry_id, e.matched, e.text, e.rule) for e in matcher.explain(text)]


def test_hits_say_rule_and_spelling(matcher: Matcher) -> None:
    (hit,) = matcher.explain("Пашиняна")
    assert (hit.entry_id, hit.matched, hit.rule, hit.spelling) == ("pashinyan", True, "inflection", "Nikol Pashinyan")
    assert "Cyrillic" in hit.reason
    (alias,) = matcher.explain("Sarkisian")
    assert (alias.rule, alias.spelling) == ("alias", "Sarkisian")


@pytest.mark.parametrize(("text", "expected"), [
    ("Rasputin", [("putin", False, "Rasputin", "different-word")]),
    ("Putinism", [("putin", False, "Putinism", "different-word")]),
    ("Vladimir", [("putin", False, "Vladimir", "first-name")]),
    ("Mikhailov", [("mikhailov", False, "Mikhailov", "surname-off")]),
    ("Tarasov", [("tarasov", False, "Tarasov", "context")]),
    ("Tigran Sargsyan", [("sargsyan", False, "Sargsyan", "excluded")]),
    ("Pashinyam", [("pashinyan", False, "Pashinyam", "spelling")]),
    ("https://kremlin.ru/putin", [("putin", False, "putin", "hidden")]),
])
def test_near_misses_say_why(matcher: Matcher, text: str, expected: list[tuple[str, bool, str, str]]) -> None:
    assert explained(matcher, text) == expected


def test_unrelated_text_has_nothing_to_explain(matcher: Matcher) -> None:
    assert matcher.explain("The weather in Lisbon was mild") == []


names = st.sampled_from(["Путина", "Pashinyan's", "Vladimir Putin", "Пашиняном", "Sarkisian", "Tigran Sargsyan",
                         "https://x.ru/putin", "«Путин»", "Nikol\u00adPashinyan", "Rasputin"])
noise = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "Mn")), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(names, noise), max_size=10).map(" ".join))
def test_offsets_always_point_at_the_matched_text(text: str) -> None:
    m = compile_matcher([ActorConfig(id="putin", name="Vladimir Putin"),
                         ActorConfig(id="pashinyan", name="Nikol Pashinyan")])
    for match in m.match_text(text, text):
        assert text[match.start:match.end] == match.text
        assert f"[[{' '.join(match.text.split())}]]" in match.snippet
    assert m.match_text(text, text) == m.match_text(text, text)  # deterministic
