"""`watcher poll` as a user sees it: a line per source as each finishes, a bar on a terminal and plain lines
elsewhere, and an exit code that says whether all, some or none of the sources were polled."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sources_server import Page, PagesServer, pages_server

from watcher.store import upgrade

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>
<item><title>Pashinyan visits Gyumri</title><link>https://news.example/1</link></item></channel></rss>"""


@pytest.fixture
def server() -> Iterator[PagesServer]:
    with pages_server({"/good.xml": Page(FEED, content_type="application/rss+xml"),
                       "/also.xml": Page(FEED.replace(b"/1", b"/2"), content_type="application/rss+xml")}) as s:
        yield s


def workspace(tmp_path: Path, urls: dict[str, str]) -> dict[str, str]:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n" + "".join(f'  - {{name: {n}, url: "{u}"}}\n' for n, u in urls.items())
                      + "actors:\n  - {id: pashinyan, name: Nikol Pashinyan}\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    return dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=url, WATCHER_OUTBOX=str(tmp_path / "o"))


def poll(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watcher", "poll"], env=env, capture_output=True, text=True,
                          timeout=120)


def test_exit_code_zero_when_every_source_was_polled(tmp_path: Path, server: PagesServer) -> None:
    done = poll(workspace(tmp_path, {"good": server.url("/good.xml"), "also": server.url("/also.xml")}))
    assert done.returncode == 0, done.stderr
    assert "polled 2 sources: 2 new items, 2 new matches, 0 errors" in done.stdout


def test_exit_code_one_when_some_sources_failed(tmp_path: Path, server: PagesServer) -> None:
    done = poll(workspace(tmp_path, {"good": server.url("/good.xml"), "gone": server.url("/gone.xml")}))
    assert done.returncode == 1
    assert "1 of 2 sources failed" in done.stderr and "gone: error:" in done.stdout


def test_exit_code_three_and_a_hint_when_nothing_is_reachable(tmp_path: Path) -> None:
    done = poll(workspace(tmp_path, {"a": "http://127.0.0.1:9/a.xml", "b": "http://127.0.0.1:9/b.xml"}))
    assert done.returncode == 3
    assert "no source could be reached" in done.stderr and "watcher demo" in done.stderr
    assert len([line for line in done.stderr.splitlines() if "watcher poll:" in line]) == 1


def test_exit_code_three_without_the_offline_hint_when_every_server_answers_with_an_error(
        tmp_path: Path, server: PagesServer) -> None:
    done = poll(workspace(tmp_path, {"a": server.url("/missing-a.xml"), "b": server.url("/missing-b.xml")}))
    assert done.returncode == 3
    assert "every source failed (2)" in done.stderr and "watcher demo" not in done.stderr


def test_plain_lines_when_not_on_a_terminal_each_as_its_source_finishes(tmp_path: Path, server: PagesServer) -> None:
    # The slow feed takes 4 s to answer: the good one's line must come out long before the command ends.
    server.pages["/slow.xml"] = Page(FEED.replace(b"/1", b"/3"), content_type="application/rss+xml", delay=4.0)
    env = workspace(tmp_path, {"good": server.url("/good.xml"), "slow": server.url("/slow.xml")})
    slow_started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "watcher", "poll"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    first = child.stdout.readline()
    first_at = time.monotonic()
    rest, err = child.communicate(timeout=120)
    ended_at = time.monotonic()
    assert first.startswith("good: 1 new of 1 items"), (first, rest, err)
    assert ended_at - first_at > 2, "the first source's line came only at the end"
    assert "\x1b[" not in first + rest + err and "polling" not in err  # no bar, no escape codes
    assert ended_at - slow_started >= 4


def test_a_bar_on_a_terminal(tmp_path: Path, server: PagesServer) -> None:
    env = workspace(tmp_path, {"good": server.url("/good.xml"), "also": server.url("/also.xml")})
    controller, terminal = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "watcher", "poll"], env=env | {"COLUMNS": "120"},
                             stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert child.wait(timeout=60) == 0
    text = shown.decode("utf-8", "replace")
    assert "polling" in text and "2/2" in text  # the bar, with sources done of total
    assert "good: 1 new of 1 items" in text and "polled 2 sources" in text
