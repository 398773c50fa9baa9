"""`watcher status`, `sources` and `reload` against a running service: the watchlist in force, and why not."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_service import config_text, items_per_source, two_feeds, wait_for

from watcher.config import load_watchlist
from watcher.feedserver import serve_folder
from watcher.service.runner import Service, _sqlite_lock
from watcher.settings import Settings
from watcher.store import upgrade

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher", *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO, check=False)


def test_status_shows_the_watchlist_in_force_through_add_break_fix(tmp_path: Path) -> None:
    feeds, url = two_feeds(tmp_path)
    config = tmp_path / "watchlist.yaml"
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=url, WATCHER_OUTBOX=str(tmp_path / "o"))

    def status() -> dict[str, object]:
        done = cli("status", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def items() -> dict[str, int]:
        return items_per_source(url)

    with serve_folder(feeds) as base:
        config.write_text(config_text(base, ["one"]), encoding="utf-8")

        async def scenario() -> None:
            service = Service(config, Settings(database_url=url, outbox=tmp_path / "o"), load_watchlist(config))
            task = asyncio.create_task(service.run())
            await wait_for(lambda: items().get("one") == 1)
            first = await asyncio.to_thread(status)
            assert first["watchlist"]["in_force"] is True and len(first["services"]) == 1
            assert first["sources"]["ok"] == 1 and first["next_runs"][0]["source"] == "one"
            # Add a source: picked up without a restart.
            config.write_text(config_text(base, ["one", "two"]), encoding="utf-8")
            os.utime(config, (time.time() + 1, time.time() + 1))
            await wait_for(lambda: items().get("two") == 1)
            # Break the file: the service keeps the last good watchlist, and status says why, with the line.
            config.write_text(config_text(base, ["one", "two"]) + "digests: [oops\n", encoding="utf-8")
            os.utime(config, (time.time() + 2, time.time() + 2))
            await wait_for(lambda: service.reload_error is not None)
            broken = await asyncio.to_thread(status)
            assert broken["watchlist"]["in_force"] is False
            assert "watchlist.yaml" in broken["watchlist"]["why"] and ":" in broken["watchlist"]["problems"][0]
            listing = await asyncio.to_thread(cli, "sources", env=env)
            assert "not the watchlist in force" in listing.stdout
            assert [s.name for s in service.watchlist.sources] == ["one", "two"]
            # `watcher reload` answers with the error while the file is broken ...
            answer = await asyncio.to_thread(cli, "reload", "--wait", "15", env=env)
            assert answer.returncode == 1 and "kept the last good watchlist" in answer.stdout
            # ... and fixed: in force again.
            config.write_text(config_text(base, ["two"]), encoding="utf-8")
            answer = await asyncio.to_thread(cli, "reload", "--wait", "15", env=env)
            assert answer.returncode == 0 and "reloaded (1 sources)" in answer.stdout, answer.stdout
            fixed = await asyncio.to_thread(status)
            assert fixed["watchlist"]["in_force"] is True and fixed["sources"]["inactive"] == 1
            service.stop()
            await asyncio.wait_for(task, 10)

        asyncio.run(scenario())
    assert items() == {"two": 1}  # nothing lost: both sources' items stayed stored
    after = cli("status", env=env)
    assert "service: not running" in after.stdout


# How the second service names the first one's database file: a lock on the path as written let these in.
SAME_FILE = {
    "the same path": lambda db: str(db),
    "a symlink to the file": lambda db: _symlink(db.parent / "link.db", db),
    "a symlinked folder": lambda db: str(Path(_symlink(db.parent / "folder", db.parent)) / db.name),
    "a path with '..'": lambda db: str(db.parent / "sub" / ".." / db.name),
}


def _symlink(link: Path, target: Path) -> str:
    link.symlink_to(target)
    return str(link)


@pytest.mark.parametrize("second_path", SAME_FILE)
def test_a_second_service_on_one_sqlite_file_is_refused(tmp_path: Path, second_path: str) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n  - {name: nowhere, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}",
               WATCHER_OUTBOX=str(tmp_path / "outbox"))
    assert cli("db", "upgrade", env=env).returncode == 0
    first = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, stderr=subprocess.PIPE, text=True,
                             cwd=REPO)
    try:
        assert first.stderr is not None
        deadline = time.monotonic() + 20
        while "service started" not in first.stderr.readline():
            assert time.monotonic() < deadline
        (tmp_path / "sub").mkdir(exist_ok=True)
        other = SAME_FILE[second_path](tmp_path / "r.db")
        second = cli("run", env=dict(env, WATCHER_DATABASE_URL=f"sqlite:///{other}"))
        assert second.returncode == 1
        assert "already using this SQLite database" in second.stderr and "PostgreSQL" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    finally:
        first.terminate()
        first.wait(10)


def test_a_database_with_hard_links_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A hard link is the same file under a name no path resolves to: its lock cannot be found from the other."""
    upgrade(f"sqlite:///{tmp_path / 'r.db'}")
    os.link(tmp_path / "r.db", tmp_path / "copy.db")
    lock = _sqlite_lock(f"sqlite:///{tmp_path / 'r.db'}")
    assert lock is not None
    lock.release()
    assert any("has 2 names (hard links)" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
