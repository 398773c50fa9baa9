"""The query language: parsing, error positions, and evaluation through the matcher."""

from __future__ import annotations

import pytest

from watcher.config.query import And, Near, Not, Or, Term
from watcher.config.schema import ActorConfig, TermConfig
from watcher.errors import QueryError
from watcher.match import compile_matcher, parse_query


def test_precedence_and_implicit_and() -> None:
    q = parse_query('"Security Council" AND (Artsakh OR Karabakh) NOT football')
    assert q == And((Term("Security Council", 1), Or((Term("Artsakh", 24), Term("Karabakh", 35))),
                     Not(Term("football", 49))))
    assert parse_query("a b OR c") == Or((And((Term("a", 0), Term("b", 2))), Term("c", 7)))


def test_prefix_near_and_fields() -> None:
    assert parse_query("peacekeep*") == Term("peacekeep", 0, prefix=True)
    assert parse_query("Pashinyan NEAR/3 Aliyev") == Near(Term("Pashinyan", 0), Term("Aliyev", 17), 3)
    assert parse_query('title:"Minsk Group"') == Term("Minsk Group", 7, field="title")
    assert parse_query("title:(a OR b)") == Or((Term("a", 7, field="title"), Term("b", 12, field="title")))
    assert parse_query("and or") == And((Term("and", 0), Term("or", 4)))  # operators are upper case


@pytest.mark.parametrize(("query", "position", "message"), [
    ("", 0, "empty"),
    ('"Security Council', 0, "unclosed quote"),
    ("(Artsakh OR Karabakh", 0, "unclosed '('"),
    ("Artsakh) OR x", 7, "unbalanced ')'"),
    ("Artsakh AND", 11, "end of query"),
    ("OR Artsakh", 0, "'OR'"),
    ("Artsakh AND (OR x)", 13, "'OR'"),
    ("body:Artsakh", 0, "unknown field"),
    ("Art*sakh", 3, "'*'"),
    ("(a OR b) NEAR/2 c", 9, "NEAR joins"),
    ("a NEAR/ b", 2, "number"),
    ("a AND ---", 6, "no letters"),
])
def test_malformed_queries_say_where(query: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(query)
    assert error.value.position == position
    assert message in str(error.value)


@pytest.fixture(scope="module")
def matcher():  # type: ignore[no-untyped-def]
    return compile_matcher([
        ActorConfig(id="artsakh", name="Artsakh", kind="place", aliases=("Nagorno-Karabakh", "Карабах")),
        TermConfig(id="security-council", name="Security Council", aliases=("Совет безопасности",)),
        TermConfig(id="artsakh-sc", name="Artsakh Security Council",
                   query='"Security Council" AND (Artsakh OR Karabakh)'),
        TermConfig(id="peace", name="peacekeeping mission", query="peacekeep* OR миротвор*"),
        TermConfig(id="summit", name="Pashinyan-Aliyev summit", query="Pashinyan NEAR/3 Aliyev NOT football"),
        TermConfig(id="headline", name="Karabakh in a headline", query="title:Karabakh"),
    ])


def entries(matcher, title: str, text: str = "") -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(m.entry_id, m.text, m.rule) for m in matcher.match_text(title, text)
            if m.entry_id not in ("artsakh", "security-council")]


def test_query_reuses_entries_spellings(matcher) -> None:  # type: ignore[no-untyped-def]
    assert entries(matcher, "", "Security Council of Karabakh meets") == [("artsakh-sc", "Security Council", "query")]
    # Russian text: "Security Council" and "Karabakh" reach it through the entries' aliases and endings
    assert entries(matcher, "", "Заседание Совета безопасности Арцаха") == [
        ("artsakh-sc", "Совета безопасности", "query")]
    assert entries(matcher, "UN Security Council on Gaza") == []


def test_query_prefix_and_not(matcher) -> None:  # type: ignore[no-untyped-def]
    assert entries(matcher, "Peacekeepers leave") == [("peace", "Peacekeepers", "query")]
    assert entries(matcher, "Российские миротворцы покинули") == [("peace", "миротворцы", "query")]
    assert entries(matcher, "Peace talks") == []


def test_query_near(matcher) -> None:  # type: ignore[no-untyped-def]
    assert entries(matcher, "Pashinyan and Aliyev met")[0][0] == "summit"
    assert entries(matcher, "Встреча Пашиняна с Алиевым")[0][0] == "summit"
    assert entries(matcher, "Pashinyan spoke at length on many things before Aliyev") == []
    assert entries(matcher, "Pashinyan and Aliyev watched football") == []


def test_query_field(matcher) -> None:  # type: ignore[no-untyped-def]
    assert entries(matcher, "Karabakh talks") == [("headline", "Karabakh", "query")]
    assert entries(matcher, "Talks", "Karabakh was discussed") == []


def test_named_queries_for_situations() -> None:
    situation = ("(resign* OR отставк* OR հրաժարակ*) AND (Karabakh OR Artsakh OR Карабах* OR Արցախ*)")
    matcher = compile_matcher([ActorConfig(id="artsakh", name="Artsakh", kind="place")],
                              queries={"power-in-stepanakert": situation})
    found = [(m.entry_id, m.text, m.rule) for m in matcher.match_text("Министр Карабаха подал в отставку")]
    assert found == [("power-in-stepanakert", "Карабаха", "query")]
    assert [m.entry_id for m in matcher.match_text("Artsakh minister resigns")] == [
        "artsakh", "power-in-stepanakert"]
    assert [m.entry_id for m in matcher.match_text("UK minister resigns")] == []
