"""Namesakes and homographs, table-driven, in all three scripts and both ways: a surname beside another given
name or initial is someone else, a title is no given name, a surname in lower case in a capitalised text is
another word; and what must match: diaspora and classical spellings, given-name variants, place adjectives.

Entries are written in Latin, Cyrillic or Armenian letters; texts in any of the three.
"""

from __future__ import annotations

import pytest

from watcher.config import parse_watchlist
from watcher.config.schema import ActorConfig
from watcher.match import Matcher, compile_matcher

ENTRIES = [
    ActorConfig(id="kocharyan", name="Robert Kocharyan"),
    ActorConfig(id="vardanyan", name="Ruben Vardanyan"),
    ActorConfig(id="harutyunyan", name="Arayik Harutyunyan"),
    ActorConfig(id="bayramov", name="Джейхун Байрамов"),
    ActorConfig(id="mirzoyan", name="Արարատ Միրզոյան"),
    ActorConfig(id="avinyan", name="Tigran Avinyan", given_names=("Tiko",)),
    ActorConfig(id="orlov", name="Oleg Orlov"),
    ActorConfig(id="avagyan", name="Ara Avagyan"),
    ActorConfig(id="tsarukyan", name="Gagik Tsarukyan"),
    ActorConfig(id="sukiasyan", name="Khachatur Sukiasyan"),
    ActorConfig(id="sefilyan", name="Zhirayr Sefilyan"),
    ActorConfig(id="pashinyan", name="Nikol Pashinyan", surname=False),
    ActorConfig(id="tavush", name="Tavush", kind="place"),
    ActorConfig(id="nakhchivan", name="Nakhchivan", kind="place", aliases=("Нахичевань",)),
    ActorConfig(id="russia", name="Россия", kind="place"),
    ActorConfig(id="syunik", name="Syunik", kind="place", adjectives=False),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_matcher(ENTRIES)


def found(matcher: Matcher, text: str, entry: str) -> list[str]:
    return [m.text for m in matcher.match_text("", text) if m.entry_id == entry]


SOMEONE_ELSE = [
    # another given name before the surname
    ("Defence analyst Sedrak Kocharyan said the plan was late", "kocharyan"),
    ("Депутат Левон Кочарян заявил журналистам", "kocharyan"),
    ("Լևոն Քոչարյանը հայտարարեց", "kocharyan"),
    ("Mrs Anna Kocharyan, a teacher", "kocharyan"),
    ("Гор Варданян ответил", "vardanyan"),
    ("Վահե Վարդանյանը նշեց", "vardanyan"),
    ("Tigran Harutyunyan, the minister of", "harutyunyan"),
    ("Нарек Арутюнян заявил", "harutyunyan"),
    ("Արտակ Հարությունյանը", "harutyunyan"),
    ("Elchin Bayramov said", "bayramov"),  # an entry in Cyrillic, a text in Latin
    ("Elçin Bayramov bildirib", "bayramov"),
    ("Эльчину Байрамову вручили", "bayramov"),
    ("Davit Mirzoyan said", "mirzoyan"),  # an entry in Armenian, texts in Latin and Cyrillic
    ("Давид Мирзоян сообщил", "mirzoyan"),
    ("Դավիթ Միրզոյանը", "mirzoyan"),
    # another initial
    ("L. Kocharyan wrote", "kocharyan"),
    ("Л. Кочарян подписал", "kocharyan"),
    ("Լ. Քոչարյանը", "kocharyan"),
    ("Т.С. Варданян, директор", "vardanyan"),
    ("Davit K. Vardanyan, the spokesman", "vardanyan"),  # a middle initial: the given name decides
    ("E. Bayramov", "bayramov"),
    ("Д. Мирзоян", "mirzoyan"),
    # patronymic and official inverted forms
    ("Кочарян Левон Робертович задержан", "kocharyan"),
    ("Левон Робертович Кочарян задержан", "kocharyan"),
    ("Քոչարյան Լևոն Ռոբերտի", "kocharyan"),
    ("Кочарян Л.Р. назначен", "kocharyan"),
    ("“Kocharyan Levon Robertovich, a lawyer,” he said", "kocharyan"),
    ("Bayramov Elçin Rauf oğlu", "bayramov"),
    ("Elçin bəy Bayramov bildirib", "bayramov"),  # an honorific after the given name
    # the bare surname of an item that names a namesake
    ("Gor Vardanyan said on Monday. Vardanyan added that", "vardanyan"),
    # lower case in a text that writes names with capitals: another word
    ("Над горами кружила стая орлов.", "orlov"),
    ("Երեկ ավագյանը ասաց", "avagyan"),
    ("стая орлов кружила над горами", "orlov"),  # all lower case: the dictionary knows орлов as eagles
]


@pytest.mark.parametrize(("text", "entry"), SOMEONE_ELSE, ids=[row[0] for row in SOMEONE_ELSE])
def test_someone_else(matcher: Matcher, text: str, entry: str) -> None:
    assert found(matcher, text, entry) == []


THE_PERSON = [
    ("Robert Kocharyan said", "kocharyan", "Robert Kocharyan"),
    ("R. Kocharyan said", "kocharyan", "Kocharyan"),
    ("Р. Кочарян", "kocharyan", "Кочарян"),
    ("Ռ. Քոչարյանը", "kocharyan", "Քոչարյանը"),
    ("Кочарян Роберт Седракович", "kocharyan", "Кочарян"),
    # titles are no given names
    ("Former President Kocharyan said", "kocharyan", "Kocharyan"),
    ("Президент Кочарян", "kocharyan", "Кочарян"),
    ("экс-президент Кочарян", "kocharyan", "Кочарян"),
    ("Նախկին նախագահ Քոչարյանը", "kocharyan", "Քոչարյանը"),
    ("Foreign Minister Bayramov", "bayramov", "Bayramov"),
    ("Xarici işlər naziri Ceyhun Bayramov", "bayramov", "Ceyhun Bayramov"),
    ("Jeyhun Bayramov", "bayramov", "Jeyhun Bayramov"),
    ("J. Bayramov", "bayramov", "Bayramov"),
    ("глава МИД Армении Мирзоян", "mirzoyan", "Мирзоян"),
    ("Премьер-министр Армении Мирзоян", "mirzoyan", "Мирзоян"),
    ("ԱԳ նախարար Միրզոյանը", "mirzoyan", "Միրզոյանը"),
    ("Ararat Mirzoyan", "mirzoyan", "Ararat Mirzoyan"),
    ("Mr. Vardanyan", "vardanyan", "Vardanyan"),
    ("Ruben K. Vardanyan", "vardanyan", "Vardanyan"),
    ("in the U.S. Vardanyan said", "vardanyan", "Vardanyan"),
    ("Ռուբեն Արամի Վարդանյան", "vardanyan", "Վարդանյան"),
    ("Vardanyan, Gor and Arsen left", "vardanyan", "Vardanyan"),  # a comma: no given name of his
    # given names: spellings, diminutives, the entry's given_names
    ("Araik Harutyunyan", "harutyunyan", "Araik Harutyunyan"),
    ("Араик Арутюнян", "harutyunyan", "Араик Арутюнян"),
    ("Tiko Avinyan said", "avinyan", "Avinyan"),
    ("Jirayr Sefilian", "sefilyan", "Jirayr Sefilian"),
    # case: all capitals, all lower case, capitalised
    ("ОРЛОВ ЗАЯВИЛ", "orlov", "ОРЛОВ"),
    ("Орлов заявил", "orlov", "Орлов"),
    ("Այսօր Ավագյանը ասաց", "avagyan", "Ավագյանը"),
    # diaspora, Western and classical spellings
    ("Dzaroukian", "tsarukyan", "Dzaroukian"),
    ("Tsaroukian", "tsarukyan", "Tsaroukian"),
    ("Soukiasian", "sukiasyan", "Soukiasian"),
    ("Khatchadour Soukiasian", "sukiasyan", "Khatchadour Soukiasian"),
    ("Վարդանեան", "vardanyan", "Վարդանեան"),
    ("Յարութիւնեան", "harutyunyan", "Յարութիւնեան"),
    ("Vartanian", "vardanyan", "Vartanian"),
    # place adjectives and compounds
    ("тавушский губернатор", "tavush", "тавушский"),
    ("Տավուշյան գյուղերը", "tavush", "Տավուշյան"),
    ("Nakhchivani officials", "nakhchivan", "Nakhchivani"),
    ("нахичеванского", "nakhchivan", "нахичеванского"),
    ("Naxçıvanlı", "nakhchivan", "Naxçıvanlı"),
    ("российско-армянских отношений", "russia", "российско"),
]


@pytest.mark.parametrize(("text", "entry", "written"), THE_PERSON, ids=[row[0] for row in THE_PERSON])
def test_the_person(matcher: Matcher, text: str, entry: str, written: str) -> None:
    assert found(matcher, text, entry) == [written]


@pytest.mark.parametrize("text", ["сюникский", "Syuniki", "սյունիքյան"])
def test_adjectives_off(matcher: Matcher, text: str) -> None:
    assert found(matcher, text, "syunik") == []


def test_a_compound_s_first_half_follows_the_whole_word() -> None:
    # азербайджано- is Azerbaijan's, but Бако (a given name) is no Баку
    matcher = compile_matcher([ActorConfig(id="baku", name="Baku", kind="place", aliases=("Баку",)),
                               ActorConfig(id="az", name="Азербайджан", kind="place")])
    assert [m.entry_id for m in matcher.match_text("", "Бако Саакян и азербайджано-армянская граница")] == ["az"]


def test_the_surname_of_a_person_without_it_stays_off(matcher: Matcher) -> None:
    assert found(matcher, "Prime Minister Pashinyan", "pashinyan") == []


@pytest.mark.parametrize(("text", "reason"), [
    ("Defence analyst Sedrak Kocharyan said", "preceded by the given name Sedrak, not Robert"),
    ("L. Kocharyan wrote", "preceded by the initial L., not Robert"),
    ("Кочарян Левон Робертович", "followed by the given name Левон, not Robert"),
    ("Sedrak Kocharyan came. Kocharyan left", "surname alone in an item that names Sedrak Kocharyan, another person"),
    ("Летом путина, а не Кочарян.", "is in lower case in a text that writes names with a capital"),
])
def test_explain_says_why_a_surname_is_someone_else(text: str, reason: str) -> None:
    matcher = compile_matcher([*ENTRIES, ActorConfig(id="putin", name="Vladimir Putin")])
    misses = [e for e in matcher.explain(text) if not e.matched and e.rule in ("namesake", "lower-case")]
    assert any(reason in e.reason for e in misses), [e.reason for e in matcher.explain(text)]


def test_an_entry_without_given_names_keeps_every_given_name() -> None:
    # nothing to compare with: "Anna Kocharyan" may be the person
    matcher = compile_matcher([ActorConfig(id="k", name="Kocharyan")])
    assert [m.text for m in matcher.match_text("", "Anna Kocharyan said")] == ["Kocharyan"]


def test_given_names_and_adjectives_come_from_the_watchlist() -> None:
    watchlist = parse_watchlist("""\
actors:
  - {id: babayan, name: Samvel Babayan, given_names: [Samo]}
  - {id: tavush, name: Tavush, kind: place, adjectives: false}
""")
    matcher = compile_matcher(watchlist.entries)
    assert [m.entry_id for m in matcher.match_text("", "Samo Babayan and Arsen Babayan; тавушский")] == ["babayan"]
