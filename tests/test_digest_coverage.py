"""Every entry a digest covers is shown: entries in no situation get a section of their own (or the digest says
how many items it left out), and `watcher check` warns about an entry no digest will ever show."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_samples import NOW, PERIOD, match, stored

from watcher.cli import main
from watcher.config import parse_watchlist
from watcher.config.coverage import OTHERS_ID, unshown_entries
from watcher.report import build_digest, render_html, render_text

WATCHLIST = """\
actors:
  - {id: a1, name: Anna One}
  - {id: a2, name: Boris Two}
  - {id: a3, name: Carl Three}
  - {id: b1, name: Dina Four}
  - {id: b2, name: Emil Five}
  - {id: b3, name: Fedor Six}
situations:
  - {id: trio, title: The trio, actors: [a1, a2, a3]}
digests:
  - {id: daily, title: Daily, to: [a@example.org], schedule: daily 07:00%s}
"""


def issue_matches() -> list:  # type: ignore[type-arg]
    """24 items about 6 entries: 2 about the trio, 14 about b1, 8 about b2 and b3."""
    out = []
    for n in range(24):
        entry = "a1" if n < 1 else "a2" if n < 2 else "b1" if n < 16 else "b2" if n < 20 else "b3"
        out.append(match(stored(n + 1, f"news {n}", hours=1 + n / 2, link=f"https://e.example/{n}"), entry,
                         f"[[{entry}]] said"))
    return out


def test_entries_in_no_situation_get_a_section_of_their_own() -> None:
    watchlist = parse_watchlist(WATCHLIST % "")
    d = build_digest(watchlist.digests[0], watchlist, issue_matches(), [], PERIOD, now=NOW)
    assert d.total_items == 24 and len(d.sections) == 5
    trio, others = d.situations
    assert (trio.situation_id, trio.item_count) == ("trio", 2)
    assert (others.situation_id, others.title, others.item_count) == (OTHERS_ID, "Other entries", 22)
    assert {r.entry_id: r.items for r in others.attention} == {"b1": 14, "b2": 4, "b3": 4}
    text = render_text(d)
    assert "24 items about 5 entries" in text and "Other entries — 22 items from 1 outlet" in text
    assert "Other entries" in render_html(d)
    assert sum(s.item_count for s in d.situations) == d.total_items  # the header and the body agree


def test_a_digest_without_the_section_says_what_it_left_out() -> None:
    watchlist = parse_watchlist(WATCHLIST % ", other_entries: false")
    d = build_digest(watchlist.digests[0], watchlist, issue_matches(), [], PERIOD, now=NOW)
    assert [s.situation_id for s in d.situations] == ["trio"] and (d.total_items, d.left_out) == (2, 22)
    assert "22 items about entries in no situation left out (other_entries: false)" in render_text(d)


def test_a_named_section_title_and_nothing_to_say() -> None:
    watchlist = parse_watchlist(WATCHLIST % ", other_entries: Elsewhere")
    d = build_digest(watchlist.digests[0], watchlist, issue_matches()[:2], [], PERIOD, now=NOW)
    assert [s.situation_id for s in d.situations] == ["trio"]  # the section has nothing: left out
    d = build_digest(watchlist.digests[0], watchlist, issue_matches(), [], PERIOD, now=NOW)
    assert d.situations[1].title == "Elsewhere"


@pytest.mark.parametrize(("digest", "unshown"), [
    ("", []),
    (", situations: [trio]", ["b1", "b2", "b3"]),
    (", other_entries: false", ["b1", "b2", "b3"]),
])
def test_unshown_entries(digest: str, unshown: list[str]) -> None:
    watchlist = parse_watchlist(WATCHLIST % digest)
    assert [watchlist.entries[i].id for i, _ in unshown_entries(watchlist)] == unshown


def test_check_warns_about_an_entry_no_digest_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(WATCHLIST % ", situations: [trio]" + """\
  - {id: tagged, title: Tagged, to: [a@example.org], schedule: daily 07:00, tags: [x]}
allow_no_sources: true
""", encoding="utf-8")
    assert main(["--config", str(path), "check"]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3  # b1, b2, b3: daily shows only the trio, tagged only entries tagged x
    assert f"warning: {path}:5: actors[3].id: no digest shows it: daily shows the situations trio only; " \
           "tagged shows the tags x only" in warnings
    assert out.rstrip().endswith("1 situations, 2 digests, 3 warning(s)")


def test_the_shipped_watchlist_shows_every_entry() -> None:
    shipped = parse_watchlist((Path(__file__).parents[1] / "watchlist.yaml").read_text(encoding="utf-8"))
    assert unshown_entries(shipped) == []
