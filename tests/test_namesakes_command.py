"""``watcher namesakes``: the other given names and initials stored items show with a watched surname."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.feedserver import serve_folder

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>http://example.org/</link>
<item><title>Samvel Babayan in Stepanakert</title><link>http://example.org/1</link>
<description>Samvel Babayan spoke.</description><pubDate>Sat, 21 Nov 2026 10:00:00 +0000</pubDate></item>
<item><title>Adviser Arsen Babayan on the budget</title><link>http://example.org/2</link>
<description>Arsen Babayan said. Babayan added more.</description><pubDate>Sat, 21 Nov 2026 11:00:00 +0000</pubDate></item>
<item><title>Советник Арсен Бабаян</title><link>http://example.org/3</link>
<description>Слова Арсена Бабаяна и Т. Бабаяна.</description><pubDate>Sat, 21 Nov 2026 12:00:00 +0000</pubDate></item>
</channel></rss>
"""

WATCHLIST = """\
sources:
  - {{name: Wire, url: "{base}/wire.xml"}}
actors:
  - {{id: babayan, name: Samvel Babayan}}
  - {{id: karabakh, name: Karabakh, kind: place}}
"""


def test_namesakes_counts_each_other_name_with_an_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "wire.xml").write_text(FEED, encoding="utf-8")
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    with serve_folder(tmp_path / "feeds") as base:
        config = tmp_path / "watchlist.yaml"
        config.write_text(WATCHLIST.format(base=base), encoding="utf-8")
        monkeypatch.setenv("WATCHER_CONFIG", str(config))
        assert main(["db", "upgrade"]) == 0
        assert main(["poll"]) == 0
    capsys.readouterr()

    assert main(["namesakes", "--json", "--since", "3650d"]) == 0
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["entries"]
    assert entry["id"] == "babayan" and report["items"] == 3
    by_name = {o["name"]: o for o in entry["namesakes"]}
    # Arsen in two scripts and two cases is one namesake; the initial T. another
    assert {name: o["count"] for name, o in by_name.items()} == {"Arsen Babayan": 4, "Т. Babayan": 1}
    assert by_name["Arsen Babayan"]["spellings"] == {"Arsen": 2, "Арсен": 1, "Арсена": 1}
    assert by_name["Arsen Babayan"]["example"]["link"] == "http://example.org/3"  # the latest
    assert entry["exclude"] == ["Arsen Babayan", "Т. Babayan"]

    assert main(["namesakes", "babayan", "--since", "3650d"]) == 0
    out = capsys.readouterr().out
    assert "babayan (Samvel Babayan)" in out and "Arsen Babayan" in out
    assert 'exclude: ["Arsen Babayan", "Т. Babayan"]' in out

    assert main(["namesakes", "nobody"]) == 2
    assert "no person with the id 'nobody'" in capsys.readouterr().err


def test_rematch_shows_the_namesakes_a_given_name_now_leaves_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "wire.xml").write_text(FEED, encoding="utf-8")
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    config = tmp_path / "watchlist.yaml"
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    with serve_folder(tmp_path / "feeds") as base:
        # first the surname alone: every Babayan is stored
        config.write_text(WATCHLIST.format(base=base).replace("name: Samvel Babayan", "name: Babayan"), encoding="utf-8")
        assert main(["db", "upgrade"]) == 0
        assert main(["poll"]) == 0
    config.write_text(WATCHLIST.format(base="http://127.0.0.1:9"), encoding="utf-8")
    capsys.readouterr()
    assert main(["rematch", "--since", "3650d"]) == 0
    out = capsys.readouterr().out
    # Samvel's two mentions now start at his given name (-2 +2); Arsen's five (one his bare surname) and T.'s one go (-6)
    assert "babayan                  +2 -8" in out
    assert "3 items since" in out and "would change" in out
    assert main(["rematch", "--since", "3650d", "--apply"]) == 0
    capsys.readouterr()
    assert main(["matches", "--json", "--since", "3650d", "--watch", "babayan"]) == 0
    assert {json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()[:-1]} == {"Samvel Babayan"}
