"""A watchlist without sources (an editor that truncated the file, a full disk) never replaces the sources in force:
`watcher check` warns, `watcher run`, `watcher poll` and `watcher rematch --apply` refuse it, and a running service keeps its last good watchlist,
unless the watchlist says ``allow_no_sources: true``. Commands that only read what is stored still work."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.config import load_watchlist, parse_watchlist
from watcher.errors import ConfigError
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store import Store
from watcher.store.migrate import upgrade

GOOD = """\
sources:
  - {name: one, url: 'http://127.0.0.1:9/one.xml'}
  - {name: two, url: 'http://127.0.0.1:9/two.xml'}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
"""
# Each as a truncated or half-written file may be: nothing, comments, the top of a file, an empty list.
WITHOUT_SOURCES = {
    "empty": "",
    "comments only": "# the South Caucasus desk's watchlist\n\n   # sources below\n",
    "defaults only": "defaults: {every: 30m}\n",
    "empty list": "defaults: {every: 30m}\n# the feeds\nsources: []\n",
}
LINES = {"empty": 1, "comments only": 1, "defaults only": 1, "empty list": 3}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("WATCHER_OUTBOX", str(tmp_path / "outbox"))
    upgrade(f"sqlite:///{tmp_path / 'w.db'}")
    return tmp_path


@pytest.mark.parametrize("case", WITHOUT_SOURCES)
def test_check_warns_and_run_and_poll_refuse_with_one_line(case: str, workspace: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = workspace / "watchlist.yaml"
    config.write_text(WITHOUT_SOURCES[case], encoding="utf-8")
    where = f"{config}:{LINES[case]}: sources: "
    assert main(["--config", str(config), "check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"warning: {where}the watchlist has none") and "1 warning(s)" in out, out
    for command in (["run"], ["poll"], ["rematch", "--apply"]):  # rematch --apply would drop the stored matches
        assert main(["--config", str(config), *command]) == 2
        out, err = capsys.readouterr()
        assert err.splitlines() == [f"{where}{_no_sources()}"], (command, err)


def test_allow_no_sources_says_it_is_meant(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = workspace / "watchlist.yaml"
    config.write_text("allow_no_sources: true\n# sources come later\n", encoding="utf-8")
    assert main(["--config", str(config), "check"]) == 0
    assert "warning" not in capsys.readouterr().out
    assert main(["--config", str(config), "poll"]) == 0
    assert load_watchlist(config, require_sources=True).sources == ()


def test_other_readers_take_a_watchlist_without_sources() -> None:
    """Only what makes its sources the ones in force asks for sources: a watchlist is still a valid watchlist."""
    assert parse_watchlist("").sources == ()
    with pytest.raises(ConfigError, match="sources: the watchlist has none"):
        parse_watchlist("", require_sources=True)


@pytest.mark.parametrize("command", [["status"], ["matches"], ["sources"], ["namesakes"], ["explain", "Pashinyan"]])
def test_commands_that_read_stored_data_work_without_sources(command: list[str], workspace: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = workspace / "watchlist.yaml"
    config.write_text(WITHOUT_SOURCES["comments only"], encoding="utf-8")
    assert main(["--config", str(config), *command]) == 0, capsys.readouterr()


@pytest.mark.parametrize("case", WITHOUT_SOURCES)
def test_a_reload_keeps_the_last_good_watchlist_when_the_file_lost_its_sources(
        case: str, workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = workspace / "watchlist.yaml"
    config.write_text(GOOD, encoding="utf-8")
    url = f"sqlite:///{workspace / 'w.db'}"
    service = Service(config, Settings(database_url=url, outbox=workspace / "outbox"), load_watchlist(config))
    try:
        service.reload(force=True)
        config.write_text(WITHOUT_SOURCES[case], encoding="utf-8")  # the editor truncated it, or the disk is full
        with caplog.at_level(logging.INFO, logger="watcher.service"):
            assert service.reload(force=True) is False
        assert [s.name for s in service.watchlist.sources] == ["one", "two"]
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [f"watchlist not reloaded, keeping the last good one: {config}:{LINES[case]}: sources: "
                          f"{_no_sources()}"]
        assert service.reload_error is not None and "the watchlist has none" in service.reload_error["problems"][0]
        with Store.open(url) as store:  # the stored sources stay active: they are still polled
            assert sorted(h.name for h in store.source_health() if h.active) == ["one", "two"]
        # Said on purpose, it is applied.
        config.write_text("allow_no_sources: true\n", encoding="utf-8")
        assert service.reload(force=True) is True
        assert service.watchlist.sources == ()
    finally:
        service.store.close()


def _no_sources() -> str:
    return ("the watchlist has none (an empty or truncated file?): nothing would be polled; "
            "add sources, or write `allow_no_sources: true` if that is meant")
