"""The poll-cycle benchmark's pieces at tiny sizes: generated news and feeds, the feed server's 304s and
generations, the watchlist generator, measuring a child process, `watcher poll` through a whole cycle, and
the report writer. No timings are asserted: only what the harness counts and writes."""

from __future__ import annotations

import json
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.polling import watcher_runs  # noqa: E402
from bench.polling.measure import Sample, Summary, count_rows, run_measured  # noqa: E402
from bench.polling.news import (  # noqa: E402
    Mentionable,
    feed_spec,
    head_and_tail,
    item_text,
    render_item,
    russian_forms,
)
from bench.polling.report import Results, machine, render, targets  # noqa: E402
from bench.polling.server import FeedServer, ServerConfig, not_modified  # noqa: E402
from bench.polling.watchlists import actors, mentionable, write_watchlist  # noqa: E402
from watcher.config import load_watchlist  # noqa: E402

PASHINYAN = Mentionable("Nikol Pashinyan", "Никол Пашинян")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""


def test_items_are_deterministic_and_about_one_in_ten_mentions_an_actor() -> None:
    texts = [item_text(8, 1, j, "ru", (PASHINYAN,)) for j in range(1000)]
    assert texts == [item_text(8, 1, j, "ru", (PASHINYAN,)) for j in range(1000)]
    mentions = [m for _, _, m in texts if m]
    assert 60 <= len(mentions) <= 140
    assert set(mentions) <= {"Никол Пашинян", *russian_forms("Пашинян")}
    assert {"Пашиняна", "Пашиняну"} <= set(mentions)  # oblique cases, not only the nominative
    title, summary, _ = texts[0]
    assert 8 <= len(title.split()) <= 15 and 40 <= len(summary.split()) <= 82


def test_russian_case_forms() -> None:
    assert russian_forms("Кочарян") == ("Кочаряна", "Кочаряну", "Кочаряном")
    assert russian_forms("Зарросов")[0] == "Зарросова"
    assert russian_forms("Бабаевский")[1] == "Бабаевскому"


@pytest.mark.parametrize("index", range(10))
def test_every_kind_of_generated_feed_is_well_formed_xml_in_its_encoding(index: int) -> None:
    spec = feed_spec(index)
    head, tail = head_and_tail(spec, "http://127.0.0.1:1", 6, 2, 6)
    body = head + b"".join(render_item(spec, j, "http://127.0.0.1:1", 8, (PASHINYAN,), 0.5)
                           for j in range(6, 1, -1)) + tail
    root = etree.fromstring(body)
    entries = [e for e in root.iter() if etree.QName(e).localname in ("item", "entry")]
    assert len(entries) == 5
    assert root.getroottree().docinfo.encoding.lower() == spec.encoding


def test_feed_kinds_languages_and_encodings_are_all_present() -> None:
    specs = [feed_spec(i) for i in range(30)]
    assert {s.kind for s in specs} == {"rss2", "atom", "rss1"}
    assert {s.language for s in specs} == {"en", "ru"}
    assert {s.encoding for s in specs} == {"utf-8", "windows-1251"}


def test_conditional_requests() -> None:
    headers = {"if-none-match": '"f1-g5"'}
    assert not_modified(headers, '"f1-g5"', 100)
    assert not not_modified(headers, '"f1-g6"', 100)
    assert not_modified({"if-modified-since": "Thu, 01 Jan 2026 00:05:00 GMT"}, "x", 1_767_225_900)
    assert not not_modified({"if-modified-since": "Thu, 01 Jan 2026 00:04:00 GMT"}, "x", 1_767_225_900)
    assert not not_modified({}, "x", 0)


def test_server_answers_304_until_a_new_generation_then_shows_the_newest_items() -> None:
    with FeedServer(ServerConfig(feeds=3, items=5, actors=(PASHINYAN,), hosts=2)) as server:
        assert len(server.urls) == 3 and len({u.rsplit("/", 1)[0] for u in server.urls}) == 2
        status, headers, body = _get(server.urls[1])
        assert status == 200 and b"/f1/4.html" in body and b"/f1/5.html" not in body
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert _get(server.urls[1], {"If-None-Match": etag})[0] == 304
        assert _get(server.urls[1], {"If-Modified-Since": modified})[0] == 304
        assert _get(server.urls[0].replace("f0", "f9"))[0] == 404

        assert server.bump(2)["count"] == 7
        status, headers, body = _get(server.urls[1], {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert b"/f1/6.html" in body and b"/f1/2.html" in body and b"/f1/1.html" not in body  # still 5 items
        assert _get(server.urls[1], {"If-None-Match": headers["ETag"]})[0] == 304
        assert server.control("/_latency?ms=20")["latency_ms"] == 20
        assert _get(server.urls[2])[0] == 200  # a delayed answer still arrives
        stats = server.control("/_stats")
        assert (stats["200"], stats["304"], stats["404"]) == (3, 3, 1)


def test_watchlists_are_prefix_stable_with_two_to_four_spellings() -> None:
    small, large = actors(30), actors(60)
    assert small == large[:30]
    assert len({a["id"] for a in large}) == 60
    generated = [a for a in large if a["id"].startswith("bench-")]
    assert generated and all(2 <= 1 + len(a["aliases"]) <= 4 for a in generated)
    assert all(any("\u0400" <= ch <= "\u04ff" for ch in "".join(a["aliases"])) for a in generated)
    assert mentionable(large) == mentionable(actors(50))


def test_written_watchlist_is_one_watcher_accepts(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    write_watchlist(path, ["http://127.0.0.1:1/f0.xml", "http://127.0.0.1:2/f1.xml"], actors(40))
    watchlist = load_watchlist(path)
    assert [s.url for s in watchlist.sources] == ["http://127.0.0.1:1/f0.xml", "http://127.0.0.1:2/f1.xml"]
    assert len(watchlist.actors) == 40


def test_a_child_is_measured_alone_and_rows_are_counted(tmp_path: Path) -> None:
    code = "b = bytearray(60 * 1024 * 1024); print(len(b))"
    sample = run_measured([sys.executable, "-c", code], env={}, log=tmp_path / "child.log")
    assert sample.rss_mb >= 60 and sample.cpu >= 0
    assert (tmp_path / "child.log").read_text().strip() == str(60 * 1024 * 1024)
    with pytest.raises(Exception, match="exit status 3"):
        run_measured([sys.executable, "-c", "raise SystemExit(3)"], env={}, log=tmp_path / "fail.log")
    database = tmp_path / "rows.db"
    with sqlite3.connect(database) as db:
        db.executescript("CREATE TABLE items (x); INSERT INTO items VALUES (1), (2);")
    assert count_rows(database, "items") == (2,)


def test_watcher_poll_cycle_counts_cold_warm_and_new_items(tmp_path: Path) -> None:
    with FeedServer(ServerConfig(feeds=3, items=5, actors=mentionable(actors(10)), hosts=3,
                                 mention_share=0.5)) as server:
        config = tmp_path / "watchlist.yaml"
        write_watchlist(config, server.urls, actors(10))
        cycle = watcher_runs.cycle(watcher_runs.Workspace(tmp_path, config), server, runs=1, new_items=2)
    assert [cycle[k].items for k in ("cold", "warm", "2 new")] == [15, 0, 6]
    assert cycle["cold"].matches > 0 and cycle["warm"].matches == 0
    assert all(s.runs == 1 and s.rss_mb > 0 for s in cycle.values())


def test_report_has_the_machine_and_every_table() -> None:
    one = Summary.of([Sample(2.0, 1.5, 90.0, 100, 7), Sample(3.0, 1.6, 95.0, 100, 7), Sample(4.0, 1.7, 92.0, 100, 7)])
    results = Results(meta={"date": "2026-11-22", **machine()},
                      cycles=[(200, "watcher", {"cold": one}), (200, "reader 3.26", {"cold": one})],
                      searches=[(200, {"index_s": 1.0, "search_s": 0.5, "queries": 10, "hits": 4, "wall": 2.0,
                                       "rss_mb": 50.0})],
                      latency=[(200, 50.0, one, one)], growth=[(100, 50, {"cold": one})],
                      profile=(Sample(5.0, 4.0, 99.0), [("parse", 1.25, 0.5)], ["1.25 0.50 3 parse_feed"]),
                      notes=["load was high"])
    text = render(results)
    assert "- **nproc**: " in text and "- **date**: 2026-11-22" in text
    assert "| 200 | watcher | cold | 3 | 3.00 (2.00-4.00) | 1.60 | 95 | 100 | 7 |" in text
    assert "| 200 | reader 3.26 | cold | 3 | 3.00 (2.00-4.00) | 1.60 | 95 | 100 | - |" in text
    assert "| 100 | 50 | cold | 3 | 3.00 (2.00-4.00) | 1.60 | 16.000 | 95 | 100 | 7 |" in text
    assert "| 200 | 50 | 3.00 (2.00-4.00) | 3.00 (2.00-4.00) | 1.00 |" in text
    assert "| parse | 1.25 | 0.50 |" in text and "- load was high" in text
    assert json.dumps(results.meta)  # plain strings only


def test_targets_are_judged_from_the_cells_of_the_run() -> None:
    def summary(wall: float, cpu: float, items: int, rss: float = 100.0) -> Summary:
        return Summary.of([Sample(wall, cpu, rss, items, 0)])

    results = Results(
        cycles=[(1000, "watcher", {"cold": summary(3.0, 2.0, 50_000), "warm": summary(1.5, 1.0, 0, 300.0)}),
                (1000, "reader 3.26 (workers=10)", {"cold": summary(39.0, 30.0, 50_000), "warm": summary(2.4, 2.0, 0)})],
        growth=[(100, 500, {"cold": summary(1.0, 1.0, 5_000)}), (1000, 500, {"cold": summary(3.0, 10.0, 50_000)}),
                (1000, 50, {"cold": summary(3.0, 8.0, 50_000)}), (5000, 500, {"cold": summary(9.0, 50.0, 250_000)})],
        latency=[(1000, 50.0, summary(6.0, 2.0, 50_000), summary(3.0, 2.0, 50_000))])
    judged = {goal: (measured, met) for goal, measured, met in targets(results)}
    assert judged["cold poll at N = 1,000 at most 4 s"] == ("3.00 s", True)
    assert judged["warm poll at N = 1,000 at most 1 s"] == ("1.50 s", False)
    assert judged["cold: at least 10x faster than reader"] == ("13.00x", True)
    assert judged["warm: at least 2x faster than reader"] == ("1.60x", False)
    assert judged["peak memory under 250 MB"] == ("300 MB", False)
    assert judged["CPU per item from N = 100 to 5,000 flat (within 1.2x)"] == ("0.200 -> 0.200 ms (1.00x)", True)
    assert judged["CPU per item from T = 50 to 500 at most 1.5x"] == ("0.160 -> 0.200 ms (1.25x)", True)
    assert judged["cold with 50 ms latency within 1.5x (N = 1,000)"] == ("2.00x", False)
