"""``watcher storylines``: the generated news stored in a real database (SQLite and PostgreSQL), listed per
situation, as text and as JSON with every item's link; the same storylines the digest shows (one path)."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path

import pytest
from storyline_news import WATCHLIST, news, outlet_names
from test_store_fixtures import db_url, empty_url  # noqa: F401

from watcher.cli import main
from watcher.models import Item, Match, Period
from watcher.periods import BEGINNING, storyline_window
from watcher.report.parts import Outlets
from watcher.store import Store


def _fill(url: str, end: datetime) -> dict[str, str | None]:
    """Store the news as polled, each day's items of a source at once; the plant of each link."""
    items = news(end)
    sources = {source: name for source, name in outlet_names().items()}
    with Store.open(url) as store:
        store.sync_sources([(s, f"http://127.0.0.1:9/{s}") for s in sources], now=items[0].published)
        slug = {name: s for s, name in sources.items()}
        ordered = sorted(items, key=lambda i: (slug[i.outlet], i.published.date(), i.item_id))
        for (source, _), batch in groupby(ordered, key=lambda i: (slug[i.outlet], i.published.date())):
            got = list(batch)
            stored = [Item(key=i.link, title=i.title, text=i.lead, link=i.link, published=i.published,
                           language=i.language) for i in got]
            matches = {i.link: [Match(entry_id=e, field="text", text=e, start=0, end=1, snippet=f"[[{e}]]")
                                for e in sorted(i.entries)] for i in got}
            store.record_success(source, now=max(i.published for i in got) + timedelta(minutes=1), status=200,
                                 etag=None, last_modified=None, items=stored, matches=matches)
    return {i.link: i.plant for i in items}


@pytest.fixture
def stored(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    monkeypatch.setenv("WATCHER_DATABASE_URL", db_url)
    sources = "".join(f"  - {{name: {s}, url: 'http://127.0.0.1:9/{s}', display_name: '{n}'}}\n"
                      for s, n in outlet_names().items())
    config = tmp_path / "watchlist.yaml"
    config.write_text(f"sources:\n{sources}{WATCHLIST}", encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    return _fill(db_url, datetime.now(UTC) - timedelta(minutes=5))


def test_storylines_as_json_per_situation_with_every_link(stored: dict[str, str | None],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storylines", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    plants = {(line["situation"], stored[line["items"][0]["link"]]) for line in lines}
    assert plants == {("yerevan", "trial"), ("yerevan", "resignation"), ("border", "commission")}
    for line in lines:
        assert {stored[i["link"]] for i in line["items"]} == {stored[line["items"][0]["link"]]}
        assert set(line) >= {"title", "first_seen", "days", "items", "outlets", "languages"}
    trial = next(line for line in lines if line["title"] == "Prosecutor sums up at Kocharyan trial")
    assert (len(trial["items"]), len(trial["outlets"]), trial["languages"]) == (11, 6, ["en", "hy", "ru"])
    assert sum(i["new"] for i in trial["items"]) == 4  # published in the last day

    assert main(["storylines", "--situation", "border", "--since", "30d", "--json"]) == 0
    older = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(stored[line["items"][0]["link"]] or "" for line in older) == ["commission", "gas-talks"]


def test_storylines_as_text(stored: dict[str, str | None], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storylines", "--situation", "yerevan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Yerevan politics (yerevan)\n  Prosecutor sums up at Kocharyan trial\n")
    assert "by Caucasus Wire; 6 outlets in 3 languages (en, hy, ru), 11 items, 4 new" in " ".join(out.split())
    assert "Lilit Hovakimyan appointed health minister after Mkrtumyan" in out
    assert out.rstrip().splitlines()[-1].startswith("2 storylines in the items published since ")


def test_an_unknown_situation_is_one_line(stored: dict[str, str | None], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["storylines", "--situation", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no situation with id 'nowhere' (situations: yerevan, border)" in err and "Traceback" not in err


def test_a_first_digest_takes_its_items_from_the_storyline_window(stored: dict[str, str | None]) -> None:
    # periods.preview's speed layer: the window's items published in the period are the store's read of them
    now = datetime.now(UTC)
    with Store.open(os.environ["WATCHER_DATABASE_URL"]) as store:
        for queries in (False, True):
            window = storyline_window(store, end=now, queries=queries, outlets=Outlets())
            for start in (now - timedelta(days=1), now - timedelta(days=5)):
                read = store.mentioned_items(Period(BEGINNING, now), with_text=True, unmatched=queries,
                                             published_after=start)
                assert read and [i for i in window.items.values() if i.published > start] == read
