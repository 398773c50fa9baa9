"""Every matching rule of the issue, table-driven with real spellings, in all three scripts, both ways.

The entries are written once, in Latin letters, with no aliases (except where a test says otherwise).
"""

from __future__ import annotations

import pytest

from watcher.config.schema import ActorConfig, EntryConfig, TermConfig
from watcher.match import Matcher, compile_matcher

LATIN_ONLY = [
    ActorConfig(id="pashinyan", name="Nikol Pashinyan"),
    ActorConfig(id="kocharyan", name="Robert Kocharyan"),
    ActorConfig(id="balasanyan", name="Vitaly Balasanyan"),
    ActorConfig(id="harutyunyan", name="Arayik Harutyunyan"),
    ActorConfig(id="sahakyan", name="Bako Sahakyan"),
    ActorConfig(id="ghukasyan", name="Arkadi Ghukasyan"),
    ActorConfig(id="zhirinovsky", name="Vladimir Zhirinovsky"),
    ActorConfig(id="aliyev", name="Ilham Aliyev"),
    ActorConfig(id="putin", name="Vladimir Putin"),
    ActorConfig(id="muradyan", name="Igor Muradyan"),
    ActorConfig(id="sargsyan", name="Serzh Sargsyan"),
    # adjectives off: the words derived from a place are tests/test_match_namesakes.py's
    ActorConfig(id="karabakh", name="Karabakh", kind="place", adjectives=False),
    ActorConfig(id="artsakh", name="Artsakh", kind="place", adjectives=False),
    ActorConfig(id="stepanakert", name="Stepanakert", kind="place", adjectives=False),
    TermConfig(id="miatsum", name="Miatsum"),
]


def ids(matcher: Matcher, text: str) -> list[tuple[str, str, str]]:
    return [(m.entry_id, m.text, m.rule) for m in matcher.match_text("", text)]


@pytest.fixture(scope="module")
def latin() -> Matcher:
    return compile_matcher(LATIN_ONLY)


CATCH = [
    # transliteration variants in Latin letters
    ("Pashinian said", "pashinyan", "Pashinian", "translit"),
    ("Pashinjan sagte", "pashinyan", "Pashinjan", "translit"),
    ("Harutiunian met", "harutyunyan", "Harutiunian", "translit"),
    ("Arutyunyan met", "harutyunyan", "Arutyunyan", "translit"),
    ("Araik Harutiunian met", "harutyunyan", "Araik Harutiunian", "translit"),
    ("Saakyan met", "sahakyan", "Saakyan", "translit"),
    ("Gukasyan met", "ghukasyan", "Gukasyan", "translit"),
    ("Arkady Ghukasian met", "ghukasyan", "Arkady Ghukasian", "translit"),
    ("Zhirinovskiy said", "zhirinovsky", "Zhirinovskiy", "translit"),
    ("Zhirinovskii said", "zhirinovsky", "Zhirinovskii", "translit"),
    ("Aliev said", "aliyev", "Aliev", "translit"),
    ("Əliyev said", "aliyev", "Əliyev", "translit"),
    ("İlham Əliyev said", "aliyev", "İlham Əliyev", "translit"),
    ("Qarabağ region", "karabakh", "Qarabağ", "translit"),
    ("Kocharian said", "kocharyan", "Kocharian", "translit"),
    ("Vitali Balasanian said", "balasanyan", "Vitali Balasanian", "translit"),
    # other scripts for a Latin entry
    ("Пашинян заявил", "pashinyan", "Пашинян", "translit"),
    ("Кочарян заявил", "kocharyan", "Кочарян", "translit"),
    ("Баласанян заявил", "balasanyan", "Баласанян", "translit"),
    ("Арутюнян заявил", "harutyunyan", "Арутюнян", "translit"),
    ("Саакян заявил", "sahakyan", "Саакян", "translit"),
    ("Гукасян заявил", "ghukasyan", "Гукасян", "translit"),
    ("Жириновский заявил", "zhirinovsky", "Жириновский", "translit"),
    ("Ильхам Алиев заявил", "aliyev", "Ильхам Алиев", "translit"),
    ("Виталий Баласанян заявил", "balasanyan", "Виталий Баласанян", "translit"),
    ("Փաշինյան", "pashinyan", "Փաշինյան", "translit"),
    ("Քոչարյան", "kocharyan", "Քոչարյան", "translit"),
    ("Արցախ", "artsakh", "Արցախ", "translit"),
    ("Ստեփանակերտ", "stepanakert", "Ստեփանակերտ", "translit"),
    ("Արայիկ Հարությունյան", "harutyunyan", "Արայիկ Հարությունյան", "translit"),
    ("Миацум", "miatsum", "Миацум", "translit"),
    ("Միացում", "miatsum", "Միացում", "translit"),
    # inflection: Russian cases, Armenian cases and articles, English possessive
    ("встреча с Пашиняном", "pashinyan", "Пашиняном", "inflection"),
    ("письмо Пашиняну", "pashinyan", "Пашиняну", "inflection"),
    ("позиция Пашиняна", "pashinyan", "Пашиняна", "inflection"),
    ("Никола Пашиняна", "pashinyan", "Никола Пашиняна", "inflection"),
    ("о Кочаряне", "kocharyan", "Кочаряне", "inflection"),
    ("Жириновского", "zhirinovsky", "Жириновского", "inflection"),
    ("с Жириновским", "zhirinovsky", "Жириновским", "inflection"),
    ("Алиеву", "aliyev", "Алиеву", "inflection"),
    ("с Ильхамом Алиевым", "aliyev", "Ильхамом Алиевым", "inflection"),
    ("Путина", "putin", "Путина", "inflection"),
    ("Владимиром Путиным", "putin", "Владимиром Путиным", "inflection"),
    ("Карабаха", "karabakh", "Карабаха", "inflection"),
    ("в Карабахе", "karabakh", "Карабахе", "inflection"),
    ("в Степанакерте", "stepanakert", "Степанакерте", "inflection"),
    ("Арцаху", "artsakh", "Арцаху", "inflection"),
    ("Փաշինյանի", "pashinyan", "Փաշինյանի", "inflection"),
    ("Փաշինյանը", "pashinyan", "Փաշինյանը", "translit"),
    ("Փաշինյանին", "pashinyan", "Փաշինյանին", "inflection"),
    ("Փաշինյանից", "pashinyan", "Փաշինյանից", "inflection"),
    ("Արցախում", "artsakh", "Արցախում", "inflection"),
    ("Արցախի", "artsakh", "Արցախի", "inflection"),
    ("Ստեփանակերտում", "stepanakert", "Ստեփանակերտում", "inflection"),
    ("Pashinyan's cabinet", "pashinyan", "Pashinyan", "surname"),
    ("Pashinyan’s cabinet", "pashinyan", "Pashinyan", "surname"),
    ("Qarabağda", "karabakh", "Qarabağda", "inflection"),
    ("Əliyevin", "aliyev", "Əliyevin", "inflection"),
    # patronymic between first name and surname
    ("Владимир Владимирович Путин", "putin", "Владимир Владимирович Путин", "translit"),
    # names and surnames as written
    ("Nikol Pashinyan", "pashinyan", "Nikol Pashinyan", "name"),
    ("NIKOL PASHINYAN", "pashinyan", "NIKOL PASHINYAN", "name"),
    ("Pashinyan", "pashinyan", "Pashinyan", "surname"),
    ("(Pashinyan)", "pashinyan", "Pashinyan", "surname"),
]


@pytest.mark.parametrize(("text", "entry", "found", "rule"), CATCH, ids=[row[0] for row in CATCH])
def test_catches(latin: Matcher, text: str, entry: str, found: str, rule: str) -> None:
    assert ids(latin, text) == [(entry, found, rule)]


MISS = [
    "Rasputin was a mystic",  # a different word that contains the name
    "Putinism and Putinist",  # a derived word, not a case ending
    "Putina",  # a Russian ending written in Latin letters is another word
    "Pashinyanov",
    "Vladimir said, and Igor agreed",  # common first names alone
    "Nikol said",
    "Arkadi left",
    "see https://www.pashinyan.am/putin and pashinyan@gov.am or putin.ru",
    "<a href='/putin' title='Pashinyan'>link</a>",
    "Alievsky prospekt",
    "Karabakhi",  # a Latin -i is no ending
    "Artsakhian",
    "Stepanakertsi",
]


@pytest.mark.parametrize("text", MISS)
def test_does_not_catch(latin: Matcher, text: str) -> None:
    assert ids(latin, text) == []


@pytest.mark.parametrize(("entry", "text", "found"), [
    (ActorConfig(id="p", name="Никол Пашинян"), "Nikol Pashinyan said", "Nikol Pashinyan"),
    (ActorConfig(id="p", name="Никол Пашинян"), "Pashinian said", "Pashinian"),
    (ActorConfig(id="p", name="Никол Пашинян"), "Փաշինյանի", "Փաշինյանի"),
    (ActorConfig(id="a", name="Արցախ", kind="place"), "in Artsakh", "Artsakh"),
    (ActorConfig(id="a", name="Արցախ", kind="place"), "в Арцахе", "Арцахе"),
    (ActorConfig(id="k", name="Роберт Кочарян"), "Kocharyan's trial", "Kocharyan"),
    (ActorConfig(id="k", name="Ռոբերտ Քոչարյան"), "Robert Kocharian", "Robert Kocharian"),
    (ActorConfig(id="s", name="Степанакерт", kind="place"), "Stepanakert", "Stepanakert"),
])
def test_entries_in_other_scripts_catch_latin(entry: EntryConfig, text: str, found: str) -> None:
    assert [m.text for m in compile_matcher([entry]).match_text("", text)] == [found]


def test_aliases_catch_what_cannot_be_derived() -> None:
    without = compile_matcher([ActorConfig(id="s", name="Serzh Sargsyan")])
    with_alias = compile_matcher([ActorConfig(id="s", name="Serzh Sargsyan", aliases=("Sarkisian",))])
    assert without.match_text("Sarkisian said") == ()
    assert [(m.text, m.rule) for m in with_alias.match_text("Sarkisian said, Саркисяна")] == [
        ("Sarkisian", "alias"), ("Саркисяна", "alias")]
    assert [(m.text, m.rule) for m in with_alias.match_text("Саркисяна")] == [("Саркисяна", "alias")]


def test_context_decides_for_common_surnames() -> None:
    matcher = compile_matcher([ActorConfig(id="t", name="Stanislav Tarasov", context=("Karabakh", "Regnum"))])
    assert matcher.match_text("Tarasov scored twice for the home side") == ()
    assert [m.text for m in matcher.match_text("Tarasov on Karabakh", "")] == ["Tarasov"]
    # the context word may be in the other field and in another script or case
    assert [m.text for m in matcher.match_text("Тарасов: итоги года", "по данным Регнума")] == ["Тарасов"]


def test_excluded_phrases_are_someone_else() -> None:
    matcher = compile_matcher([ActorConfig(id="s", name="Serzh Sargsyan", exclude=("Tigran Sargsyan",))])
    assert matcher.match_text("Tigran Sargsyan spoke") == ()
    assert matcher.match_text("Тиграна Саргсяна") == ()
    # the surname alone is ambiguous in an item that names the other person
    assert matcher.match_text("Tigran Sargsyan spoke. Sargsyan added") == ()
    assert [m.text for m in matcher.match_text("Serzh Sargsyan met Tigran Sargsyan")] == ["Serzh Sargsyan"]
    assert [m.text for m in matcher.match_text("Sargsyan spoke")] == ["Sargsyan"]


def test_surname_alone_can_be_switched_off() -> None:
    matcher = compile_matcher([ActorConfig(id="m", name="Evgeniy Mikhailov", surname=False)])
    assert matcher.match_text("Mikhailov said") == ()
    assert [m.text for m in matcher.match_text("Евгений Михайлов сказал")] == ["Евгений Михайлов"]


def test_phrases_of_organisations_match_whole() -> None:
    matcher = compile_matcher([ActorConfig(id="j", name="Justice Party", kind="organization"),
                               TermConfig(id="op", name="Operation Ring")])
    assert [m.text for m in matcher.match_text("the Justice Party and Operation “Ring”")] == [
        "Justice Party", "Operation “Ring"]
    assert matcher.match_text("justice for the party; a ring road") == ()


def test_every_entry_matching_the_same_words_is_reported() -> None:
    matcher = compile_matcher([ActorConfig(id="a", name="Artsakh", kind="place"),
                               ActorConfig(id="sc", name="Artsakh Security Council", kind="organization")])
    assert [(m.entry_id, m.text) for m in matcher.match_text("Artsakh Security Council met")] == [
        ("a", "Artsakh"), ("sc", "Artsakh Security Council")]
