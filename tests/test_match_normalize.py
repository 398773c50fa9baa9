"""Spelling keys: every spelling of a name reaches one of the keys its watchlist entry is compiled
to, whatever the script or transliteration; and fold, tokens and offsets agree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher.match.compile import variants
from watcher.match.normalize import fold, key, prepare, tokens
from watcher.match.offsets import Offsets

# Each row: spellings of one name from the press; the first is what the watchlist says.
SAME = [
    ("Pashinyan", "Pashinian", "Pashinjan", "Пашинян", "Փաշինյան", "PASHINYAN", "Paşinyan"),
    ("Harutyunyan", "Harutiunian", "Arutyunyan", "Арутюнян", "Հարությունյան"),
    ("Sahakyan", "Saakyan", "Sahakian", "Саакян", "Սահակյան"),
    ("Ghukasyan", "Gukasyan", "Ghukasian", "Гукасян", "Ղուկասյան"),
    ("Kocharyan", "Kocharian", "Кочарян", "Քոչարյան", "Köçəryan"),
    ("Balasanyan", "Balasanian", "Баласанян", "Բալասանյան"),
    ("Zhirinovsky", "Zhirinovskiy", "Zhirinovskii", "Жириновский", "Ժիրինովսկի"),
    ("Aliyev", "Aliev", "Əliyev", "Алиев", "Ալիև"),
    ("Karabakh", "Qarabağ", "Karabagh", "Карабах", "Ղարաբաղ"),
    ("Artsakh", "Арцах", "Արցախ"),
    ("Stepanakert", "Степанакерт", "Ստեփանակերտ"),
    ("Yerevan", "Erevan", "Ереван", "Երևան"),
    ("Evgeniy", "Yevgeny", "Evgeny", "Евгений"),
    ("Mikhailov", "Mikhaylov", "Михайлов", "Միխայլով"),
    ("Jafarov", "Cəfərov", "Джафаров"),
    ("Khojaly", "Xocalı", "Ходжалы"),
    ("Vardanyan", "Вардaнян", "Վարդանյան"),
    ("Путин", "Пути́н", "Putin"),
]


@pytest.mark.parametrize("spellings", SAME, ids=[row[0] for row in SAME])
def test_every_spelling_reaches_the_entry(spellings: tuple[str, ...]) -> None:
    for written in spellings:  # each spelling may be the one in the watchlist
        keys = set(variants(written))
        assert {key(s) for s in spellings} <= keys, (written, keys, {s: key(s) for s in spellings})


@pytest.mark.parametrize(("a", "b"), [("Putin", "Rasputin"), ("Babayan", "Babajanyan"), ("Armenia", "Armenian"),
                                      ("Aliyev", "Alirzayev"), ("Tarasov", "Tarasova")])
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert key(a) != key(b)


def test_links_addresses_and_tags_are_not_words() -> None:
    text = "See https://putin.ru/a, write to pashinyan@gov.am, visit kremlin.ru or <b title='Putin'>x</b> now"
    assert fold(text).split() == fold("See write to visit or x now").split()


words = st.sampled_from(["Пашиняна", "Pashinyan's", "Əliyev", "Արցախում", "ու", "ո", "ը", "h", "ь", "Ilham",
                         "https://x.am/Putin", "a@b.ru", "<i>", "Jalal", "—", "«Регнум»", "\u00ad", "Пути́н"])
texts = st.lists(st.one_of(words, st.text(max_size=6)), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_fold_and_tokens_agree(text: str) -> None:
    # The matcher finds hits in fold() and maps them back through Offsets: they must never disagree.
    folded = fold(text)
    assert folded.split() == [t.key for t in tokens(text)]
    offsets = Offsets(prepare(text))
    words = list(re.finditer(r"\S+", folded))
    for word, tok in zip(words, tokens(text), strict=True):
        assert (offsets.start(word.start()), offsets.end(word.end())) == (tok.start, tok.end)
        assert key(text[tok.start:tok.end]) == tok.key


# Long single-byte texts: positions are found across blocks of characters, and inside one by counting the
# keys that are not one letter long (h: none, x and щ: two or more, € three).
western = st.sampled_from(["Harutyunyan", "hhh", "Xerxes", "xx", "Œuvre", "½", "€", "—", "’", "Shah", "h.", "the",
                           "Pashinyan", "naïve", "Zürich", "\u00ad", "→", "  ", "x"])
cyrillic = st.sampled_from(["Щукин", "щ", "Хачатрян", "ь", "Ъ", "Пашинян", "«Регнум»", "—", "ё", "Пути\u0301н"])
long_texts = st.one_of(st.lists(western, min_size=40, max_size=300), st.lists(cyrillic, min_size=40, max_size=300),
                       st.lists(st.one_of(western.filter(lambda w: w != "½"), cyrillic),  # both: our own code page
                                min_size=40, max_size=300))


@settings(max_examples=150, deadline=None)
@given(long_texts.map(" ".join), st.sampled_from(["", " ", "  "]))
def test_offsets_hold_across_long_single_byte_texts(text: str, pad: str) -> None:
    text = pad + text
    assert prepare(text).codec is not None
    pairs = list(zip(re.finditer(r"\S+", fold(text)), tokens(text), strict=True))
    for order in (pairs, pairs[::-1]):  # backwards: the first position asked for is far into the text
        offsets = Offsets(prepare(text))
        for word, tok in order:
            assert (offsets.start(word.start()), offsets.end(word.end())) == (tok.start, tok.end)


@pytest.mark.parametrize("text", [
    "Путин → Пашинян ✓ «Регнум»",  # an arrow and a check mark: not in cp1251
    "Putin’s visit 😀 and Pashinyan’s 🇦🇲 reply",  # emoji and flags: astral, no letters
    "Пути\u0301н and Put\u200bin, Pa\u2060shinyan",  # a stress mark, zero-width space and word joiner
    "Ha\u0301rutyunyan → Xankendi ⟶ Pashinyan",
    "Нарек Караванин at Société Générale — “Пашинян’s” № 5 ✓",  # Cyrillic beside Western letters
    "Зürich: Щукин, Œuvre, naïve",
])
def test_separators_and_marks_outside_the_code_page_keep_the_single_byte_path(text: str) -> None:
    prepared = prepare(text)
    assert prepared.codec is not None
    assert len(prepared.data) == len(text)  # one byte a character: offsets hold
    folded = fold(text)
    assert folded.split() == [t.key for t in tokens(text)]
    offsets = Offsets(prepared)
    for word, tok in zip(re.finditer(r"\S+", folded), tokens(text), strict=True):
        assert (offsets.start(word.start()), offsets.end(word.end())) == (tok.start, tok.end)


@pytest.mark.parametrize("text", ["Putin 𝐀𝐁 Pashinyan", "Путин → Əliyev", "Пашинян’s Փաշինյան"])
def test_letters_outside_the_code_page_take_the_slow_path(text: str) -> None:
    prepared = prepare(text)
    assert prepared.codec is None
    assert fold(text).split() == [t.key for t in tokens(text)]
