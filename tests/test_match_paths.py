"""The matcher's shortcuts give what the full path gives: it looks for candidates before blanking links
and tags, and stops at once when no stem that ends a phrase starts a word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.config.schema import ActorConfig, TermConfig
from watcher.match import Matcher, compile_matcher
from watcher.match.matcher import _kept
from watcher.match.normalize import fold, masked, prepare, spelled
from watcher.models import Match


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher([
        ActorConfig(id="pashinyan", name="Nikol Pashinyan", aliases=("Пашинян",)),
        ActorConfig(id="aliyev", name="Ilham Aliyev", exclude=("Heydar Aliyev",)),
        ActorConfig(id="tarasov", name="Stanislav Tarasov", context=("Karabakh",)),
        TermConfig(id="khankendi", name="Khankendi", aliases=("Xankəndi",)),
        TermConfig(id="xan", name="Xan"),
        TermConfig(id="ceasefire", name="Ceasefire", query='ceasefire NEAR/3 Karabakh OR ceasefire NEAR/3 Artsakh'),
    ], queries={"talks": "title:talks AND Pashinyan"})


def full_path(matcher: Matcher, title: str, text: str) -> tuple[Match, ...]:
    """The slow path on every item: blank first, scan, decide, locate."""
    verdicts, located = matcher.verdicts(title, text)
    fields = {"title": title, "text": text}
    return tuple(matcher._to_match(v, fields, located) for v in _kept(verdicts))


@pytest.mark.parametrize("text", [
    "Pashinyanhttp://example.com/a said",  # a URL glued to the name: blanking ends the word there
    "Pashinyanwww.example.am met Aliyev",
    "Tarasov\u00admail@karabakh.ru wrote",
    "Xan\u00adkəndi.com and Xankəndi",
    "Xan\u00adəli.com",  # blanking takes the ə from the word: its x reads ks again, and Xan is named
    "<b>Nikol</b> Pashinyan and <i title='Aliyev'>x</i>",
    "Heydar Aliyev, Aliyev's son; ceasefire in Karabakh",
    "the ceasefire talks in Artsakh, says https://pashinyan.am",
])
def test_glued_links_and_tags_match_as_on_the_full_path(matcher: Matcher, text: str) -> None:
    assert matcher.match_text("", text) == full_path(matcher, "", text)
    assert matcher.match_text("talks", text) == full_path(matcher, "talks", text)


def test_a_name_glued_to_a_url_is_still_found(matcher: Matcher) -> None:
    (hit,) = matcher.match_text("", "Pashinyanhttp://example.com/a said")
    assert (hit.entry_id, hit.text, hit.start, hit.end) == ("pashinyan", "Pashinyan", 0, 9)


@pytest.mark.parametrize(("text", "found"), [
    ("Pashinyanner and Aliyevich spoke", ()),  # surnames' stems with endings they never take
    ("Pashinyanner spoke, see www.example.com", ()),  # the same, the slow way (a link to blank)
    ("Pashinyanhttps://example.com spoke", ("pashinyan",)),  # blanking the glued link leaves the name
])
def test_a_surname_with_an_ending_it_never_takes_is_no_mention(matcher: Matcher, text: str,
                                                               found: tuple[str, ...]) -> None:
    assert tuple(m.entry_id for m in matcher.match_text("", text)) == found
    assert matcher.match_text("", text) == full_path(matcher, "", text)


def test_first_names_alone_stop_the_scan(matcher: Matcher) -> None:
    # Nikol, Ilham, Stanislav end no phrase: an item naming only them has no match
    assert matcher.match_text("Nikol and Ilham", "Stanislav, Nikolaev") == ()


def test_blanking_keeps_length_and_is_the_first_step_of_prepare() -> None:
    text = "see <b>x</b> www.Putin.ru, mail@pashinyan.am and https://a.am/Putin — Пашинян"
    blanked = masked(text)
    assert len(blanked) == len(text) and "Putin" not in blanked and "Пашинян" in blanked
    assert prepare(text) == spelled(blanked)
    assert masked("nothing to blank") == "nothing to blank"


def test_longer_keys_of_either_case_spell_out() -> None:
    # one control byte per longer key: X and x, Щ and щ, Œ and œ
    assert fold("Xerxes xerxes").split() == ["kserkses", "kserkses"]
    assert fold("ЩУКА щука Юрий").split() == ["scuka", "scuka", "iurii"]
    assert fold("Œuvre œuvre").split() == ["oeuvre", "oeuvre"]


@pytest.mark.parametrize(("title", "text"), [
    ("Пашинян в Ереване", "Société Générale’s note on Pashinyan → Aliyev"),  # each field in its own code page
    ("Pashinyan’s visit", "Встреча с Пашиняном и Алиевым"),
    ("Փաշինյանը Երևանում", "Pashinyan met Aliyev"),  # Armenian title: the whole item takes the slow path
    ("Xankəndi", "Pashinyan in Xankəndi.com and Xankəndi"),
    ("Pashinyan\nAliyev", "Heydar Aliyev"),  # a newline inside the title too
    ("", "Pashinyan"),
    ("Pashinyan", ""),
])
def test_one_look_at_both_fields_matches_as_on_the_full_path(matcher: Matcher, title: str, text: str) -> None:
    found = matcher.match_text(title, text)
    assert found == full_path(matcher, title, text)
    assert found  # every row names someone


fragments = st.sampled_from([
    "Pashinyan", "Пашиняна", "Nikol", "Aliyev", "Heydar", "Ilham", "Tarasov", "Karabakh", "Artsakh", "talks",
    "ceasefire", "Xankəndi", "Khankendi", "Xan", "əli", "http://", "https://x.am/", "www.", ".com", ".am", "@", "mail@", "<b>",
    "</b>", "<i title='", "'>", "\u00ad", "\u0301", "-", ".", ",", "’", "«", "»", "h", "x", "ь", "Пути́н", " ",
    "Փաշինյան", "é", "→", "😀", "\n", "\u200b",
    "Arsen", "T.", "пашинян", "Вахе", "Ilham", "Mehriban",  # namesakes and lower case judge both paths alike
])
glued = st.lists(fragments, max_size=14).map("".join)
spaced = st.lists(fragments, max_size=14).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(glued, spaced), st.one_of(glued, spaced))
def test_any_text_matches_as_on_the_full_path(matcher: Matcher, title: str, text: str) -> None:
    assert matcher.match_text(title, text) == full_path(matcher, title, text)
