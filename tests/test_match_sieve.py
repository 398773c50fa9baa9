"""QuerySieve: a named query over many items gives what the matcher gives on each, asking it only where the
query's needed words are."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.config.query import parse_query, terms
from watcher.config.schema import ActorConfig, TermConfig
from watcher.match import QuerySieve, compile_matcher, fold_fields
from watcher.match.normalize import fold
from watcher.match.sieve import possible

ENTRIES = [
    ActorConfig(id="pashinyan", name="Nikol Pashinyan", aliases=("Пашинян", "Նիկոլ Փաշինյան")),
    TermConfig(id="karabakh", name="Karabakh", aliases=("Карабах", "Qarabağ", "Ղարաբաղ")),
]
QUERIES = ["(resign* OR отставк*) AND Karabakh", "title:election NEAR/3 Karabakh", "Pashinyan AND NOT war",
           '"peace treaty" OR мирн*', "NOT war"]
WORDS = ["Karabakh", "Карабахе", "Ղարաբաղի", "Qarabağda", "resigned", "отставку", "election", "peace", "treaty",
         "мирного", "war", "Pashinyan", "Пашиняна", "Փաշինյանը", "said", "https://karabakh.example/x", "<b>war</b>",
         "xəbər", "ELECTION", "the", "­", "Xankəndi.com"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
       st.sampled_from(QUERIES))
def test_the_sieve_holds_where_the_matcher_finds_the_query(title: str, text: str, query: str) -> None:
    sieve = QuerySieve(ENTRIES, "q", query)
    plain = compile_matcher(ENTRIES, queries={"q": query})
    expected = any(m.entry_id == "q" for m in plain.match_text(title, text))
    assert sieve.holds(title, text, fold_fields(title, text)) == expected
    assert sieve.holds(title, text, None) == expected  # unfolded: the matcher alone


def check_of(query: str, spellings: dict[str, list[str]]) -> Callable[[tuple[bytes, bytes, bytes]], bool] | None:
    """The pre-check of ``query`` where each term needs the folded key of one of its ``spellings``."""
    parsed = parse_query(query)
    return possible(parsed, {id(t): tuple(fold(s)[:-1].encode() for s in spellings.get(t.text, [t.text]))
                             for t in terms(parsed)})


def fields(title: str, text: str) -> tuple[bytes, bytes, bytes]:
    return fold(title).encode(), fold(text).encode(), (fold(title) + fold(text)).encode()


def test_the_pre_check_is_false_only_without_a_needed_word() -> None:
    # " " + the folded key stands for what the automaton looks for (" karabak" for Karabakh)
    check = check_of("(resign* OR quit) AND NOT war AND title:Karabakh", {"Karabakh": ["Karabakh", "Карабах"]})
    assert check is not None
    assert check(fields("Karabakh war", "He may quit"))
    assert check(fields("Карабах: war", "He may quit"))  # any of a term's spellings
    assert not check(fields("Karabakh war", "nothing"))  # neither resign* nor quit
    assert not check(fields("He may quit", "Karabakh war"))  # Karabakh only in the text: the title is asked
    assert check_of("NOT war OR quit", {}) is None  # may hold whatever the text says
    either = check_of("quit OR (resign AND NOT war)", {})
    assert either is not None and either(fields("resign", "")) and not either(fields("war", "war"))
