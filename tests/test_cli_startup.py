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
