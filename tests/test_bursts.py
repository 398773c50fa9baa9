"""Bursts and emerging names over four weeks of generated news in three languages (tests/burst_news.py): the
planted burst and the planted name are found, the always-frequent entries, the unwatched minister seen every day,
months, capitals and sentence starts are not; a golden digest shows them."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from burst_news import END, SOURCES, fill, watchlist
from test_report_render import check_golden
from test_store_fixtures import db_url, empty_url, store  # noqa: F401

from watcher.cli import main
from watcher.models import Period
from watcher.periods import earlier_leads, preview
from watcher.report import digest_to_json, render_html, render_text
from watcher.report.bursts import ALPHA, bursting, poisson_tail
from watcher.report.emerging import _Canon, find_emerging
from watcher.store import Store, upgrade

pytest_plugins = ["smtp_server"]


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('bursts') / 'watcher.db'}"
    upgrade(url)
    with Store.open(url) as store:
        fill(store)
    yield url


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-9)
    assert poisson_tail(3, 1.0) == pytest.approx(1 - 0.3678794412 * 2.5, rel=1e-9)


@pytest.mark.parametrize(("count", "baseline", "burst"), [
    (12, 0.0, True),  # quiet for weeks, then a dozen items
    (8, 0.0, True),
    (7, 0.0, False),  # too few to be a burst, however quiet before (attention marks it)
    (14, 5.8, False),  # always frequent, a little more frequent: the Poisson tail alone would call it one
    (16, 6.0, False),
    (40, 12.0, True),  # a busy entry can burst too, far enough above its own baseline
    (9, 2.0, True),
    (9, 4.0, False),
])
def test_bursting_rule(count: int, baseline: float, burst: bool) -> None:
    found, p = bursting(count, baseline)
    assert found is burst
    assert (p < ALPHA) is burst or not burst


def test_the_planted_burst_is_found_with_its_evidence(filled: str) -> None:
    wl = watchlist()
    with Store.open(filled) as store:
        built = preview(store, wl, wl.digests[0], now=END)
    (region,) = built.situations
    # Pashinyan is in twice his usual items (the planted items name him too), Aliyev and Putin in theirs: no burst.
    assert [b.entry_id for b in region.bursts] == ["babayan"]
    burst = region.bursts[0]
    assert burst.count == 12
    assert burst.baseline < 0.2 and burst.periods == 11
    assert burst.first.title == "Samvel Babayan announces a new movement"
    assert burst.first.published == END - timedelta(days=1) + timedelta(hours=1)
    assert burst.first.link is not None and burst.first.outlet == "wire-en"
    assert sorted(burst.outlets) == sorted(SOURCES)
    assert burst.languages == ("en", "hy", "ru")
    assert [(c.entry_id, c.items) for c in burst.seen_with] == [("pashinyan", 3)]


def test_a_longer_window_is_held_against_as_long_a_baseline(filled: str) -> None:
    """A week's preview of the daily digest: every entry has a week of items, only the planted one is a burst."""
    wl = watchlist()
    with Store.open(filled) as store:
        built = preview(store, wl, wl.digests[0], now=END, since=END - timedelta(days=7))
    (burst,) = built.situations[0].bursts
    assert burst.entry_id == "babayan" and burst.count == 12


def test_no_burst_without_history(tmp_path: Path) -> None:
    """The same last day alone in a store: nothing to compare with, so nothing bursts."""
    from burst_news import news

    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    wl = watchlist()
    with Store.open(url) as store:
        fill(store, [i for i in news() if i.published > END - timedelta(days=1)])
        built = preview(store, wl, wl.digests[0], now=END)
    assert built.situations[0].bursts == ()
    assert built.emerging == ()


def test_the_planted_name_emerges_and_the_noise_does_not(filled: str) -> None:
    wl = watchlist()
    with Store.open(filled) as store:
        built = preview(store, wl, wl.digests[0], now=END)
    assert [e.name for e in built.emerging] == ["Arsen Tonoyan"]
    name = built.emerging[0]
    assert name.key == "arsen tonoian"
    assert dict(name.spellings) == {"latin": "Arsen Tonoyan", "cyrillic": "Арсен Тоноян", "armenian": "Արսեն Տոնոյան"}
    assert (name.items, name.outlets, name.with_entries) == (5, 3, ("pashinyan",))
    assert name.watchlist_yaml == "- {id: arsen-tonoyan, name: Arsen Tonoyan, aliases: [Арсен Тоноян, Արսեն Տոնոյան]}"
    # Ready to paste: the watchlist with it loads, and the matcher then finds him in every spelling of the items.
    from burst_news import WATCHLIST

    from watcher.config import parse_watchlist
    from watcher.match import compile_matcher

    pasted = parse_watchlist(WATCHLIST.replace("actors:\n", f"actors:\n  {name.watchlist_yaml}\n"), "w.yaml")
    matcher = compile_matcher(pasted.entries)
    for text in ("По словам Тонояна, работа начнется", "Արսեն Տոնոյանը նախկինում", "Adviser Tonoyan meets"):
        assert "arsen-tonoyan" in {m.entry_id for m in matcher.match_text(text)}, text
    # Everything else the items capitalise, listed without the thresholds: Mirzoyan is there every day (no growth).
    with Store.open(filled) as store:
        period = built.period
        earlier, spans = earlier_leads(store, period)
        current = store.leads(period)
    import watcher.report.emerging as emerging

    every = {e.key for e in find_emerging(current, earlier or [], wl, spans=spans, limit=None)}
    assert every == {"arsen tonoian"}
    loose = emerging.GROWTH, emerging.MIN_OUTLETS, emerging.MIN_ITEMS
    try:
        emerging.GROWTH, emerging.MIN_OUTLETS, emerging.MIN_ITEMS = 0.0, 1, 1
        seen = {e.key for e in find_emerging(current, earlier or [], wl, spans=spans, limit=None)}
    finally:
        emerging.GROWTH, emerging.MIN_OUTLETS, emerging.MIN_ITEMS = loose
    # Without thresholds: the minister, the Duma and the Kremlin's council; never a month, a weekday, a capital, a
    # title, a sentence start or a watched name.
    assert "arsen tonoian" in seen and "mirzoian" in {k.split()[-1] for k in seen}
    words = {w for k in seen for w in k.split()}
    for never in ("marc", "mart", "april", "monda", "sunda", "ierevan", "erevan", "baku", "moskva", "moscow",
                  "prime", "minister", "president", "the", "officials", "tousands", "pasinian", "nikol", "aliev",
                  "putin", "vladimir", "kremlin", "samvel", "babaian"):
        assert never not in words, (never, seen)


def test_case_endings_and_scripts_fold_to_one_key() -> None:
    words = ["Тоноян", "Тонояна", "Тонояну", "Тонояном", "Տոնոյան", "Տոնոյանի", "Տոնոյանը", "Tonoyan"]
    canon = _Canon(words)
    assert {canon(w) for w in words} == {"tonoian"}
    other = _Canon(["Karapetyan", "Карапетов", "Карапетова", "Կարապետյան"])
    assert other("Karapetyan") == other("Կարապետյան") != other("Карапетов") == other("Карапетова")


def test_json_carries_bursts_and_emerging(filled: str) -> None:
    wl = watchlist()
    with Store.open(filled) as store:
        out = digest_to_json(preview(store, wl, wl.digests[0], now=END))
    (burst,) = out["situations"][0]["bursts"]
    assert {"entry_id": "babayan", "count": 12}.items() <= burst.items()
    assert isinstance(burst["baseline"], float) and burst["first"]["title"] and burst["outlets"] and burst["languages"]
    (name,) = out["emerging"]
    assert {k: name[k] for k in ("name", "items", "outlets", "with")} == {
        "name": "Arsen Tonoyan", "items": 5, "outlets": 3, "with": ["pashinyan"]}
    assert name["spellings"]["armenian"] == "Արսեն Տոնոյան"
    json.dumps(out, ensure_ascii=False)


def test_golden_digest_shows_the_burst_and_the_name(filled: str) -> None:
    wl = watchlist()
    with Store.open(filled) as store:
        built = preview(store, wl, wl.digests[0], now=END)
    check_golden("bursts.txt", render_text(built))
    check_golden("bursts.html", render_html(built))


def test_emerging_command_lists_them(filled: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    from burst_news import WATCHLIST

    config.write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.setenv("WATCHER_DATABASE_URL", filled)
    since = ["--since", (END - timedelta(days=1)).isoformat(), "--until", END.isoformat()]
    assert main(["--config", str(config), "emerging", *since, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(n["name"], n["items"], n["with"]) for n in lines] == [("Arsen Tonoyan", 5, ["pashinyan"])]
    assert main(["--config", str(config), "emerging", *since]) == 0
    text = capsys.readouterr().out
    assert "Arsen Tonoyan / Арсен Тоноян / Արսեն Տոնոյան" in text and "- {id: arsen-tonoyan" in text


def test_leads_are_the_items_beside_entries_by_publication_date(filled: str) -> None:
    with Store.open(filled) as store:
        last_day = store.leads(Period(END - timedelta(days=1), END))
    assert all(i.mentions and END - timedelta(days=1) < i.published <= END for i in last_day)
    assert all(len(i.text or "") <= 600 for i in last_day)
    assert sum("Tonoyan" in i.text or "Тоноян" in (i.text or "") or "Տոնոյան" in (i.text or "")
               for i in last_day if i.text) == 5


ALERTS = """
  - {id: alerts, title: Region alerts, to: [analyst@example.org], schedule: immediate, min_interval: 30m,
     alert_on: [burst]}
"""


def test_a_planted_burst_alerts_once_within_the_rate_rule(tmp_path: Path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    """An immediate digest with ``alert_on: [burst]``, closed every ten minutes through the burst's day as the service
    would, with the items arriving as they are published: one mail, when the eighth item makes the day a burst;
    nothing for the other items, nor for the rest of the burst once it was told (``alert_on: [burst]`` only)."""
    from burst_news import WATCHLIST, news

    from watcher.config import parse_watchlist
    from watcher.delivery import send_due
    from watcher.mail import SmtpMailer
    from watcher.periods import close_due

    wl = parse_watchlist(WATCHLIST + ALERTS, "alerts.yaml")
    digest = next(d for d in wl.digests if d.id == "alerts")
    everything = news()
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    start = END - timedelta(days=1)
    tick = timedelta(minutes=10)
    sent_at = []
    with Store.open(url) as store:
        fill(store, [i for i in everything if i.published <= start], wl)
        now = start
        while now < END:
            fill(store, [i for i in everything if now - tick < i.published <= now], wl)
            close_due(store, wl, digest, owner="test", now=now, started_at=start, sender="w@example.org")
            if send_due(store, SmtpMailer(smtp_server.url), now=now, sender="w@example.org").sent:
                sent_at.append(now)
            now += tick
    assert len(smtp_server.messages) == 1
    # Babayan's eighth item of the day is published at 18:30 and found five minutes later; the period closed every
    # half hour (min_interval) since 07:00: the one closed at 19:00 alerts.
    assert sent_at == [start + timedelta(hours=12)]
    body = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    assert "Bursts" in body and "Samvel Babayan: 8 items against 0 a period before" in body


def test_alert_on_is_checked(tmp_path: Path) -> None:
    from burst_news import WATCHLIST

    from watcher.config import parse_watchlist
    from watcher.errors import ConfigError

    for bad, message in (
        ("alert_on: [burst, burst]", "alert_on: list query, burst or both, each once"),
        ("alert_on: [bursts]", "alert_on"),
        ("alert_on: []", "alert_on: list query, burst or both"),
    ):
        with pytest.raises(ConfigError) as e:
            parse_watchlist(WATCHLIST + ALERTS.replace("alert_on: [burst]", bad), "alerts.yaml")
        assert any(message in p for p in e.value.problems), e.value.problems
    daily = WATCHLIST.replace("schedule: 'daily 07:00'", "schedule: 'daily 07:00', alert_on: [burst]")
    with pytest.raises(ConfigError) as e:
        parse_watchlist(daily, "w.yaml")
    assert any("only an immediate digest alerts" in p for p in e.value.problems), e.value.problems
    assert parse_watchlist(WATCHLIST + ALERTS, "alerts.yaml").digests[1].alert_on == ("burst",)
    assert parse_watchlist(WATCHLIST, "w.yaml").digests[0].alert_on == ("query",)


def test_leads_on_both_backends(store: Store) -> None:
    """The store's leads read the same on SQLite and PostgreSQL: items beside entries, their texts cut in SQL."""
    from burst_news import news

    fill(store, [i for i in news() if i.published > END - timedelta(days=2)])
    last_day = store.leads(Period(END - timedelta(days=1), END), known_at=END)
    assert len(last_day) == 31 and all(i.mentions and i.text for i in last_day)
    assert [i.published for i in last_day] == sorted(i.published for i in last_day)
    assert store.leads(Period(END - timedelta(days=1), END), known_at=END - timedelta(days=1)) == []


def test_headlines_in_title_case_and_texts_in_capitals_name_nobody() -> None:
    from datetime import UTC, datetime

    from watcher.models import Mention, MentionedItem
    from watcher.report.emerging import _sequences

    def item(title: str, text: str) -> MentionedItem:
        return MentionedItem(1, "s", title, None, datetime(2026, 3, 1, tzinfo=UTC),
                             (Mention(1, "pashinyan", "title", 0, 0, ""),), None, None, text)

    assert _sequences(item("Adviser Tonoyan Meets Ambassadors In Yerevan", "")) == []
    assert _sequences(item("x", "ARSEN TONOYAN MET THE AMBASSADORS OF THE EU IN YEREVAN TODAY")) == []
    # A Russian headline is written in sentence case: its capitals are names.
    assert _sequences(item("Никол Пашинян и Арсен Тоноян встретились в Москве", "")) == [
        (("Никол", "Пашинян"), True), (("Арсен", "Тоноян"), False), (("Москве",), False)]


def test_the_short_form_of_channels_says_the_burst(filled: str) -> None:
    from watcher.report.short_form import short_form

    wl = watchlist()
    with Store.open(filled) as store:
        form = short_form(preview(store, wl, wl.digests[0], now=END))
    assert "  burst: Samvel Babayan 12 (against 0 a period), first wire-en: Samvel Babayan announces a new movement" \
        in form.figures
