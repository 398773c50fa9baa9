"""Start-up stays light: each command imports what it uses, checked in a fresh interpreter per case."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "watchlist.yaml"
PLAIN = """\
sources:
  - {name: a, url: "https://a.am/rss"}
actors:
  - {id: a, name: Anna Hakobyan}
"""


def imported_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_help_imports_no_command_and_no_validation_library() -> None:
    modules = imported_after("from watcher.cli import build_parser; build_parser().format_help()")
    assert "watcher.cli" in modules
    assert not {"watcher.commands", "pydantic", "ruamel.yaml", "yaml"} & modules


def test_the_command_context_does_not_import_the_watchlist_schema() -> None:
    modules = imported_after("import watcher.commands; from watcher.config import default_path; default_path()")
    assert "watcher.commands.context" in modules
    assert not {"pydantic", "watcher.config.schema", "watcher.store", "sqlalchemy"} & modules


def test_a_plain_watchlist_loads_without_ruamel_the_matcher_or_email_validator(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(PLAIN, encoding="utf-8")
    modules = imported_after(f"from watcher.config import load_watchlist; load_watchlist({str(path)!r})")
    assert "watcher.config.fastyaml" in modules
    assert not {"ruamel.yaml", "watcher.match", "email_validator"} & modules


def test_a_broken_watchlist_is_reported_through_ruamel(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(PLAIN.replace("Anna Hakobyan", "''"), encoding="utf-8")
    code = (f"from watcher.config import load_watchlist\nfrom watcher.errors import ConfigError\n"
            f"try:\n    load_watchlist({str(path)!r})\nexcept ConfigError as e:\n    print(e.problems)")
    assert "ruamel.yaml" in imported_after(code)


@pytest.mark.parametrize("argv", [["--help"], ["poll", "--help"], ["--version"]])
def test_help_and_version_exit_zero(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "watcher", *argv], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "watcher" in done.stdout


def test_the_process_exits_with_the_command_and_its_output_whole(tmp_path: Path) -> None:
    """``python -m watcher`` leaves through a quick exit: the exit code and every line of output survive it."""
    config = tmp_path / "watchlist.yaml"
    config.write_text(PLAIN, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "watcher", "--config", str(config), "check"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"{config}: ok: 1 sources, 1 actors, 0 terms, 0 situations, 0 digests\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources:\n  - name: a\n    url: ftp://a.am/\n", encoding="utf-8")
    failed = subprocess.run([sys.executable, "-m", "watcher", "--config", str(broken), "check"], cwd=REPO,
                            capture_output=True, text=True)
    assert failed.returncode == 2 and f"{broken}:3: sources[0].url" in failed.stderr


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text(PLAIN, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "watcher", "--config", str(config), "check"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the interpreter has even started: every write meets a closed pipe
    error = process.stderr.read().decode()
    assert process.wait(60) == 1
    assert "Traceback" not in error and "BrokenPipe" not in error


def test_the_quick_exit_leaves_what_a_plain_exit_leaves(tmp_path: Path) -> None:
    """cli.run's os._exit is a speed layer: a poll ended by it prints, exits and stores what sys.exit(main()) does."""
    import os
    import re
    import sqlite3

    from sources_server import Page, pages_server

    from watcher.store import upgrade

    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>
<item><title>Pashinyan visits Gyumri</title><link>https://news.example/1</link></item>
<item><title>Weather</title><link>https://news.example/2</link></item></channel></rss>"""
    ways = {"quick": [sys.executable, "-m", "watcher", "poll"],
            "plain": [sys.executable, "-c", "import sys; from watcher.cli import main; sys.exit(main(['poll']))"]}
    seen = {}
    with pages_server({"/f.xml": Page(feed, content_type="application/rss+xml")}) as server:
        for way, argv in ways.items():
            folder = tmp_path / way
            folder.mkdir()
            (folder / "watchlist.yaml").write_text(
                f'sources:\n  - {{name: desk, url: "{server.url("/f.xml")}"}}\n  - {{name: gone, url: '
                f'"{server.url("/gone.xml")}"}}\nactors:\n  - {{id: pashinyan, name: Nikol Pashinyan}}\n',
                encoding="utf-8")
            upgrade(f"sqlite:///{folder / 'w.db'}")
            env = dict(os.environ, WATCHER_CONFIG=str(folder / "watchlist.yaml"),
                       WATCHER_DATABASE_URL=f"sqlite:///{folder / 'w.db'}", WATCHER_LOG_FORMAT="text")
            done = subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True, timeout=120)
            with sqlite3.connect(folder / "w.db") as db:
                rows = db.execute("SELECT count(*) FROM items").fetchone()[0], \
                    db.execute("SELECT count(*) FROM matches").fetchone()[0]

            def timeless(text: str) -> str:
                return re.sub(r"\(\d+\.\d+s\)|\d{4}-\d\d-\d\dT\S+|127\.0\.0\.1:\d+", "", text)

            seen[way] = (done.returncode, sorted(timeless(done.stdout).splitlines()),
                         sorted(timeless(done.stderr).splitlines()), rows)
    assert seen["quick"] == seen["plain"]
    assert seen["quick"][0] == 1 and seen["quick"][3] == (2, 1)  # one source failed; two items, one match stored
