"""A bad WATCHER_DATABASE_URL is one line and exit code 2 from every command that opens the store, never a
traceback; ``postgres://`` and ``postgresql://`` URLs name PostgreSQL through psycopg 3."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from test_store_fixtures import _postgres_schema_url

from watcher.cli import main
from watcher.errors import ConfigError
from watcher.store.db import parse_url

WATCHLIST = """\
sources:
  - name: One
    url: http://127.0.0.1:9/feed.xml
actors:
  - id: pashinyan
    name: Nikol Pashinyan
digests:
  - id: daily
    title: Daily
    to: [analyst@example.org]
    schedule: "daily 07:00"
"""
# Every command that opens the store (run before anything else it does).
COMMANDS = [["db", "upgrade"], ["run"], ["poll"], ["digest", "--preview"], ["status"], ["matches"]]
BAD_URLS = {
    "port out of range": ("postgresql+psycopg://u@127.0.0.1:99999/x", "port 99999 is not a TCP port"),
    "port not a number": ("postgresql+psycopg://u:secret@127.0.0.1:abc/x", "the port (after host:) is not a number"),
    "unknown driver": ("postgresql+nosuch://u@127.0.0.1/x", "unknown postgresql driver 'nosuch'"),
    "driver not installed": ("postgresql+pg8000://u@127.0.0.1/x", "driver pg8000 is not installed"),
    "other database": ("mysql+mysqldb://u@127.0.0.1/x", "unsupported database 'mysql'"),
    "not a URL": ("watcher.db", "invalid database URL 'watcher.db'"),
}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "watchlist.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATCHER_OUTBOX", str(tmp_path / "outbox"))
    return path


def _one_line(capsys: pytest.CaptureFixture[str], config: Path, url: str, command: list[str],
              monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    code = main(["--config", str(config), *command])
    out, err = capsys.readouterr()
    assert code == 2, (command, out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", BAD_URLS)
def test_a_bad_database_url_is_one_line_and_exit_2(case: str, command: list[str], config: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, message = BAD_URLS[case]
    line = _one_line(capsys, config, url, command, monkeypatch)
    assert line.startswith("WATCHER_DATABASE_URL: ") and message in line and "secret" not in line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_psycopg_not_installed_names_the_install_command(command: list[str], config: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` finds when it is not installed
    for url in ("postgresql://u@127.0.0.1/x", "postgres://u@127.0.0.1/x", "postgresql+psycopg://u@127.0.0.1/x"):
        line = _one_line(capsys, config, url, command, monkeypatch)
        assert line == ("WATCHER_DATABASE_URL: the postgresql driver psycopg is not installed: "
                        "pip install 'watcher[postgres]'")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgres_url_without_driver_means_psycopg_3(scheme: str) -> None:
    parsed = parse_url(f"{scheme}://u:secret@db.example.org:5433/watcher?sslmode=require")
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.port, parsed.database, parsed.password) == ("db.example.org", 5433, "watcher", "secret")
    assert parsed.query == {"sslmode": "require"}
    assert parse_url("postgres+psycopg://u@h/x").drivername == "postgresql+psycopg"


def test_a_bad_url_is_a_config_error_for_callers_of_the_store_too() -> None:
    with pytest.raises(ConfigError, match="port 0 is not a TCP port"):
        parse_url("postgresql://u@h:0/x")


@pytest.fixture
def schema_url(postgres_url: str) -> Iterator[str]:
    yield from _postgres_schema_url(postgres_url)


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_commands_work_with_a_postgres_url_without_driver(scheme: str, schema_url: str, config: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_url(schema_url).set(drivername=scheme).render_as_string(hide_password=False)
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "status"]) == 0
    out, err = capsys.readouterr()
    assert "database at the newest schema" in out and "database: postgresql" in out, (out, err)
