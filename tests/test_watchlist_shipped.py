"""The shipped watchlist.yaml: it loads, covers the situation it exists for, and broken copies are reported
with the right file line and key path."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from watcher.config import Watchlist, load_watchlist
from watcher.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "watchlist.yaml"
SOURCES_MD = Path(__file__).resolve().parents[2] / "shared" / "sources.md"

PERSONS = [
    "Vitaly Balasanyan", "Arayik Harutyunyan", "Nikol Pashinyan", "Robert Kocharyan", "Serzh Sargsyan",
    "Bako Sahakyan", "Arkadi Ghukasyan", "Samvel Babayan", "Modest Kolerov", "Stanislav Tarasov",
    "Evgeniy Mikhailov", "Konstantin Zatulin", "Vladimir Zhirinovsky", "Vladimir Putin", "Ilham Aliyev",
    "Igor Muradyan",
]
ORGANIZATIONS_AND_PLACES = [
    "Nagorno-Karabakh", "Stepanakert", "Artsakh Security Council", "Justice Party", "Karabakh Defense Army",
    "Russian peacekeepers", "Regnum",
]
TERMS = ["Miatsum", "Russia-Artsakh Friendship Union", "Minsk Group", "Operation Ring"]
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
ARMENIAN = re.compile(r"[\u0531-\u058F]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def shipped() -> Watchlist:
    return load_watchlist(SHIPPED)


def _entry(watchlist: Watchlist, name: str):  # type: ignore[no-untyped-def]
    return next(e for e in watchlist.entries if e.name == name)


def test_the_shipped_watchlist_loads_with_its_defaults(shipped: Watchlist) -> None:
    assert shipped.defaults.every == timedelta(minutes=30)
    assert shipped.defaults.timezone == "Asia/Yerevan"
    assert len(shipped.sources) >= 20 and len(shipped.actors) >= 20 and len(shipped.terms) >= 4


def test_every_named_actor_and_term_is_present_with_the_right_kind(shipped: Watchlist) -> None:
    kinds = {a.name: a.kind for a in shipped.actors}
    assert [n for n in PERSONS if kinds.get(n) != "person"] == []
    assert [n for n in ORGANIZATIONS_AND_PLACES if kinds.get(n) not in ("organization", "place")] == []
    assert kinds["Nagorno-Karabakh"] == "place" and kinds["Stepanakert"] == "place"
    assert [n for n in TERMS if n not in {t.name for t in shipped.terms}] == []


@pytest.mark.parametrize("name", PERSONS + ORGANIZATIONS_AND_PLACES + TERMS)
def test_every_entry_is_spelt_in_latin_cyrillic_and_armenian(shipped: Watchlist, name: str) -> None:
    entry = _entry(shipped, name)
    spellings = (entry.name, *entry.aliases)
    for script in (LATIN, CYRILLIC, ARMENIAN):
        assert any(script.search(s) for s in spellings), f"{name}: no spelling in {script.pattern}"
    assert entry.tags, f"{name}: no tags"


def test_irregular_spellings_and_well_known_karabakh_forms_are_listed(shipped: Watchlist) -> None:
    sargsyan = _entry(shipped, "Serzh Sargsyan")
    assert {"Serzh Sarkisian", "Серж Саргсян", "Սերժ Սարգսյան"} <= set(sargsyan.aliases)
    karabakh = _entry(shipped, "Nagorno-Karabakh")
    assert {"Karabakh", "Artsakh", "Нагорный Карабах", "Арцах", "Արցախ", "Լեռնային Ղարաբաղ", "Qarabağ"} <= set(
        karabakh.aliases)
    assert {"Khankendi", "Xankəndi", "Степанакерт", "Ստեփանակերտ"} <= set(_entry(shipped, "Stepanakert").aliases)
    assert "российские миротворцы" in _entry(shipped, "Russian peacekeepers").aliases
    assert "Արդարություն" in " ".join(_entry(shipped, "Justice Party").aliases)


def test_no_spelling_belongs_to_two_entries(shipped: Watchlist) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for entry in shipped.entries:
        for spelling in {s.casefold() for s in (entry.name, *entry.aliases)}:
            if owner.setdefault(spelling, entry.id) != entry.id:
                clashes.append((spelling, owner[spelling], entry.id))
    assert clashes == []


@pytest.mark.parametrize("name", ["Stanislav Tarasov", "Evgeniy Mikhailov", "Samvel Babayan", "Igor Muradyan",
                                  "Arayik Harutyunyan", "Bako Sahakyan"])
def test_shared_surnames_need_multilingual_context(shipped: Watchlist, name: str) -> None:
    context = _entry(shipped, name).context
    for script in (LATIN, CYRILLIC, ARMENIAN):
        assert any(script.search(word) for word in context), f"{name}: no context word in {script.pattern}"


def test_other_well_known_namesakes_are_excluded(shipped: Watchlist) -> None:
    assert {"Tigran Sargsyan", "Vazgen Sargsyan", "Armen Sarkissian"} <= set(_entry(shipped, "Serzh Sargsyan").exclude)
    assert "Heydar Aliyev" in _entry(shipped, "Ilham Aliyev").exclude
    assert "Jalal Harutyunyan" in _entry(shipped, "Arayik Harutyunyan").exclude
    assert _entry(shipped, "Evgeniy Mikhailov").surname is False


def test_situations_group_the_right_actors(shipped: Watchlist) -> None:
    by_title = {s.title: s for s in shipped.situations}
    names = {a.id: a.name for a in shipped.actors} | {t.id: t.name for t in shipped.terms}

    def members(title: str) -> set[str]:
        situation = by_title[title]
        return {names[i] for i in situation.actors + situation.terms}

    assert {"Arayik Harutyunyan", "Vitaly Balasanyan", "Bako Sahakyan", "Arkadi Ghukasyan", "Samvel Babayan",
            "Stepanakert", "Artsakh Security Council", "Justice Party"} <= members("Power in Stepanakert")
    assert {"Vladimir Putin", "Konstantin Zatulin", "Modest Kolerov", "Vladimir Zhirinovsky", "Stanislav Tarasov",
            "Evgeniy Mikhailov", "Igor Muradyan", "Russian peacekeepers", "Regnum",
            "Russia-Artsakh Friendship Union"} <= members("Moscow's influence")
    assert {"Nikol Pashinyan", "Robert Kocharyan", "Serzh Sargsyan", "Miatsum"} <= members("Yerevan politics")
    assert "Ilham Aliyev" in members("Baku")
    query = by_title["Power in Stepanakert"].query or ""
    assert all(word in query for word in ("resign*", "appoint*", "dismiss*", "Stepanakert", " AND "))


def test_a_daily_and_a_weekly_digest_go_to_the_analyst(shipped: Watchlist) -> None:
    schedules = {d.schedule for d in shipped.digests}
    assert {"0 7 * * *", "weekly mon 07:00"} <= schedules
    assert all("analyst@example.org" in d.to for d in shipped.digests)


def test_source_names_are_unique_and_zone_less_feeds_say_their_zone(shipped: Watchlist) -> None:
    names = [s.name for s in shipped.sources]
    assert len(names) == len(set(names))
    arminfo = [s for s in shipped.sources if _host(s.url) == "arminfo.info"]
    assert arminfo and all(s.timezone == "Asia/Yerevan" for s in arminfo)
    assert all(s.language in {"en", "ru", "hy", "az"} for s in shipped.sources)


@pytest.mark.parametrize(("hosts", "at_least"), [
    ({"news.am"}, 3), ({"tass.ru", "tass.com"}, 2), ({"apa.az", "en.apa.az"}, 2),
    ({"trend.az", "en.trend.az"}, 2), ({"meduza.io"}, 2), ({"regnum.ru"}, 2),
])
def test_outlets_with_several_feeds_get_one_source_each(shipped: Watchlist, hosts: set[str], at_least: int) -> None:
    assert sum(_host(s.url) in hosts for s in shipped.sources) >= at_least


# --- against the outlet notes in ../shared/sources.md -------------------------------------------------


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _outlets(text: str) -> list[tuple[str, list[str], str]]:
    """(outlet, usable feed URLs, status) per row of the outlet table; status is live, dead, none or template."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or cells[0] in ("Outlet", "") or set(cells[0]) <= {"-"}:
            continue
        outlet, urls, confidence, notes = cells[0], re.findall(r"`([^`]+)`", cells[1]), cells[2], cells[3]
        base = next((u for u in urls if u.startswith("http")), "")
        # Templates (<query>, UC...) name no pollable feed; a feed reported 404 is dead.
        usable = [urljoin(base, u) for u in urls if "<" not in u and "..." not in u and (u.startswith("http") or base)]
        if confidence.lower() == "none":
            status = "none"
        elif not usable:
            status = "template"
        else:
            status = "dead" if re.search(r"\b404\b", notes) else "live"
        rows.append((re.sub(r"\s*\(.*\)", "", outlet), usable, status))
    return rows


@pytest.fixture(scope="module")
def outlets() -> list[tuple[str, list[str], str]]:
    if not SOURCES_MD.is_file():
        pytest.skip("../shared/sources.md is not beside the repository")
    rows = _outlets(SOURCES_MD.read_text(encoding="utf-8"))
    assert len(rows) >= 10, "the outlet table of sources.md was not recognised"
    return rows


def test_every_outlet_with_a_feed_is_a_source(shipped: Watchlist, outlets: list[tuple[str, list[str], str]]) -> None:
    hosts = {_host(s.url) for s in shipped.sources}
    missing = [name for name, urls, status in outlets if status == "live" and not {_host(u) for u in urls} & hosts]
    assert missing == []


def test_every_outlet_without_a_feed_has_a_note_about_news_search(outlets: list[tuple[str, list[str], str]]) -> None:
    comments = [line for line in SHIPPED.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")]
    unexplained = []
    for name, _, status in outlets:
        if status not in ("none", "dead"):
            continue
        # The note may run onto the next comment line.
        notes = [" ".join(comments[i:i + 2]) for i, c in enumerate(comments) if name.lower() in c.lower()]
        if not any("news-search" in n for n in notes):
            unexplained.append(name)
    assert unexplained == []


def test_the_outlet_table_parser_reads_the_kinds_of_row_it_must_judge() -> None:
    table = "\n".join([
        "| Outlet | Feed URL(s) | Confidence | Notes |", "|---|---|---|---|",
        "| A EN / RU | `https://a.example/eng/rss/`, `/rus/rss/` | high | |",
        "| B | none | none | no feed |",
        "| C | `https://c.example/rss` (legacy) | low | 404 reported. |",
        "| D (the service) | `https://d.example/api/<code>` | low | opaque |",
    ])
    assert _outlets(table) == [
        ("A EN / RU", ["https://a.example/eng/rss/", "https://a.example/rus/rss/"], "live"),
        ("B", [], "none"), ("C", ["https://c.example/rss"], "dead"), ("D", [], "template"),
    ]


# --- broken copies: each mistake is reported at its line with its key path -----------------------------


def _line_of(text: str, pattern: str, after: str | None = None) -> int:
    """1-based line of the first line matching ``pattern`` (after the first line matching ``after``)."""
    lines = text.splitlines()
    start = 0 if after is None else next(i for i, line in enumerate(lines) if re.search(after, line))
    return next(i for i in range(start, len(lines)) if re.search(pattern, lines[i])) + 1


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "watchlist.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    return caught.value.problems


def test_a_duplicate_id_is_reported_at_the_second_use(tmp_path: Path, shipped: Watchlist) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = _line_of(text, r"^  - id: robert-kocharyan$")
    index = [a.id for a in shipped.actors].index("robert-kocharyan")
    broken = text.replace("  - id: robert-kocharyan\n", "  - id: nikol-pashinyan\n")
    problems = _problems(tmp_path, broken)
    assert any(f"watchlist.yaml:{line}: actors[{index}].id: duplicate id 'nikol-pashinyan'" in p
               for p in problems), problems


def test_a_bad_duration_is_reported_at_its_line(tmp_path: Path, shipped: Watchlist) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = _line_of(text, r"^    every: ", after=r"- name: arminfo\b")
    index = [s.name for s in shipped.sources].index("arminfo")
    lines = text.splitlines(keepends=True)
    lines[line - 1] = "    every: a quarter of an hour\n"
    problems = _problems(tmp_path, "".join(lines))
    assert [p for p in problems if f"watchlist.yaml:{line}: sources[{index}].every: " in p
            and "not a duration" in p], problems


def test_an_unknown_key_is_reported_at_its_line(tmp_path: Path, shipped: Watchlist) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = _line_of(text, r"^    surname: false$", after=r"- id: evgeniy-mikhailov$") + 1
    index = [a.id for a in shipped.actors].index("evgeniy-mikhailov")
    lines = text.splitlines(keepends=True)
    lines.insert(line - 1, "    nickname: Zhenya\n")
    problems = _problems(tmp_path, "".join(lines))
    assert problems == [f"{tmp_path / 'watchlist.yaml'}:{line}: actors[{index}].nickname: Extra inputs are not permitted"]


def test_an_unknown_reference_is_reported_at_its_line(tmp_path: Path, shipped: Watchlist) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = _line_of(text, r"^    actors: \[ilham-aliyev\]$")
    index = [s.id for s in shipped.situations].index("baku")
    broken = text.replace("    actors: [ilham-aliyev]\n", "    actors: [ilham-aliev]\n")
    assert _problems(tmp_path, broken) == [
        f"{tmp_path / 'watchlist.yaml'}:{line}: situations[{index}].actors[0]: no actor has id 'ilham-aliev'"]


def test_bad_indentation_is_reported_at_its_line(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    line = _line_of(text, r"^    language: ", after=r"- name: tass-ru\b")
    lines = text.splitlines(keepends=True)
    # One level too deep: YAML reads it as a continuation of the line above, which is an error.
    lines[line - 1] = "      " + lines[line - 1].lstrip()
    problems = _problems(tmp_path, "".join(lines))
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'watchlist.yaml'}:{line}: "), problems
