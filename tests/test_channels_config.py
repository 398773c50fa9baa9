"""`notify:` in the watchlist: channel URLs checked without sending, with file:line; secrets only as {env:NAME}."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.cli import main
from watcher.config import load_watchlist, parse_watchlist
from watcher.config.placeholders import display, expand
from watcher.errors import ConfigError
from watcher.service.runner import Service
from watcher.settings import Settings
from watcher.store.migrate import upgrade

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
HEAD = """\
sources:
  - {name: Wire, url: "https://example.org/rss"}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
digests:
  - id: daily
    title: Daily
    schedule: "daily 07:00"
"""


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          digest_lines: str) -> tuple[int, str]:
    config = tmp_path / "watchlist.yaml"
    config.write_text(HEAD + digest_lines, encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    code = main(["check"])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_channel_whose_secrets_come_from_the_environment_checks_ok(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WATCHER_TEST_TELEGRAM", BOT_TOKEN)
    monkeypatch.setenv("WATCHER_TEST_MATRIX", "p@ss")
    code, out = check(tmp_path, monkeypatch, capsys, """\
    notify:
      - "tgram://{env:WATCHER_TEST_TELEGRAM}/-1001234567890"
      - "matrixs://watcher:{env:WATCHER_TEST_MATRIX}@matrix.example.org/#newsroom"
      - "json://127.0.0.1:8080/hook"
""")
    assert code == 0, out
    assert BOT_TOKEN not in out


@pytest.mark.parametrize(("url", "line", "says"), [
    (f"tgram://{BOT_TOKEN}/-1001234567890", 12, "digests[0].notify[1]: the bot token is written in clear"),
    ("ntfys://ntfy.example.org/alerts?token=tk_0123456789", 12, "digests[0].notify[1]: the token is written in clear"),
    ("json://127.0.0.1/hook?+Authorization=Bearer%20abc", 12, "the header Authorization is written in clear"),
    ("tgram://{env:WATCHER_TEST_NOT_SET}/1", 12, "digests[0].notify[1]: WATCHER_TEST_NOT_SET is not set in the environment"),
    ("tgram://not-a-token/1", 12, "digests[0].notify[1]: apprise cannot use this URL"),
    ("nosuchservice://example.org", 12, "digests[0].notify[1]: apprise cannot use this URL"),
])
def test_check_names_each_channel_that_could_not_be_sent_with_its_line(
        url: str, line: int, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(tmp_path, monkeypatch, capsys, f"""\
    to: [analyst@example.org]
    notify:
      - "json://127.0.0.1:8080/fine"
      - "{url}"
""")
    assert code == 2
    (problem,) = out.strip().splitlines()
    assert problem.startswith(f"{tmp_path / 'watchlist.yaml'}:{line}: ") and says in problem, problem
    assert BOT_TOKEN not in out and "tk_0123456789" not in out


@pytest.mark.parametrize(("lines", "says"), [
    ('    notify: ["tgram://{env:1TOKEN}/1"]\n', "a placeholder is written {env:NAME}"),
    ('    notify: ["json://host/{env:WATCHER_DATABASE_URL}"]\n', "watcher's own settings are never put in a channel URL"),
    ('    notify: ["not a url"]\n', "not a channel URL"),
    ('    notify: ["json://a/b", "json://a/b"]\n', "names the same channel URL twice"),
    ("    link: ftp://archive.example.org/\n    to: [a@example.org]\n", "is not an http(s) URL"),
    ("", "a digest needs to: (mail addresses) or notify: (channel URLs), or both"),
])
def test_the_watchlist_refuses_malformed_channels(lines: str, says: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(tmp_path, monkeypatch, capsys, lines)
    assert code == 2 and says in out, out
    assert ":" in out.split(" ", 1)[0]  # FILE:LINE


def test_expansion_happens_only_when_asked_and_display_keeps_the_placeholder() -> None:
    url = "matrixs://watcher:{env:PASS}@matrix.example.org/#room"
    assert expand(url, {"PASS": "s3cret"}) == "matrixs://watcher:s3cret@matrix.example.org/#room"
    assert display(url) == url
    assert display("matrixs://watcher:s3cret@matrix.example.org/#room") == "matrixs://watcher:***@matrix.example.org/#room"
    with pytest.raises(ConfigError, match="PASS is not set"):
        expand(url, {})
    watchlist = parse_watchlist(HEAD + f'    notify: ["{url}"]\n')
    assert watchlist.digests[0].notify == (url,) and watchlist.digests[0].to == ()


def test_the_service_refuses_to_start_and_keeps_its_watchlist_when_a_channels_secret_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    monkeypatch.delenv("WATCHER_TEST_NOT_SET", raising=False)
    config = tmp_path / "watchlist.yaml"
    broken = HEAD + '    notify: ["tgram://{env:WATCHER_TEST_NOT_SET}/1"]\n'
    config.write_text(broken, encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    assert main(["run"]) == 2
    assert "digests[0].notify[0]: WATCHER_TEST_NOT_SET is not set" in capsys.readouterr().err

    config.write_text(HEAD + '    notify: ["json://127.0.0.1:9/hook"]\n', encoding="utf-8")
    service = Service(config, Settings(database_url=url, outbox=tmp_path / "out"), load_watchlist(config))
    try:
        config.write_text(broken, encoding="utf-8")
        assert service.reload(force=True) is False
        assert service.watchlist.digests[0].notify == ("json://127.0.0.1:9/hook",)
        assert service.reload_error is not None
        assert "WATCHER_TEST_NOT_SET is not set" in service.reload_error["problems"][0]
    finally:
        service.store.close()
