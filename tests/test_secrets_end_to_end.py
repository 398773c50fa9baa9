"""No configured password in anything watcher prints, logs or serves: a day of commands (check, db upgrade, poll,
digest preview and send over SMTP with a login, status --json, the service with /metrics, and the usual failures:
a wrong SMTP password, a broken SMTP URL, an unreachable database) with passwords in the SMTP URL, the database URL
(PostgreSQL, as ?password=, when WATCHER_TEST_POSTGRES_URL is set) and a channel URL; everything captured is
searched for each password, its percent-encoded forms and its first four characters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from smtp_server import running_smtp_server
from webhook_server import Received, free_port, receiver

from watcher.feedserver import serve_folder

SMTP_PASSWORD = "Sm7q/Pw?#@ üж-x"  # URL syntax, a blank and non-ASCII: percent-encoded in the URL, as the README says
WRONG_PASSWORD = "Wr9k/Zz%u"
RAW_PASSWORD = "Br5n/Kp"  # written raw in a broken URL: refused, never shown
HOOK_PASSWORD = "Hk4vPq9wLm"  # the channel's, through {env:WATCHER_HOOK_PASSWORD}
DB_PASSWORD = "Pg8x/Qr?m"
UNREACHABLE_PASSWORD = "Un6r/Dz?k"

NOW = datetime.now(UTC)
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Pashinyan meets Aliyev</title><link>http://example.org/1</link>
<description>Nikol Pashinyan and Ilham Aliyev met in Brussels.</description><pubDate>{format_datetime(NOW - timedelta(hours=2))}</pubDate></item>
</channel></rss>"""

WATCHLIST = """\
sources:
  - {{name: Wire, url: "{base}/wire.xml"}}
  - {{name: Late, url: "{base}/late.xml"}}  # polled by the service only
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - id: daily
    title: Daily
    to: [analyst@example.org]
    schedule: daily 07:00
    notify: ["json://watcher:{{env:WATCHER_HOOK_PASSWORD}}@127.0.0.1:{hook}/daily"]
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """The database URL to use and the passwords it carries."""
    if request.param == "sqlite":  # a SQLite URL carries no password
        yield f"sqlite:///{tmp_path / 'w.db'}", []
        return
    base = request.getfixturevalue("postgres_url")
    from sqlalchemy import make_url
    from test_store_fixtures import _postgres_schema_url

    for url in _postgres_schema_url(base):  # a schema of its own; trust auth takes any password
        with_password = make_url(url).update_query_dict({"password": DB_PASSWORD})
        yield with_password.render_as_string(hide_password=False), [DB_PASSWORD]


def smtp_url(server_url: str, password: str) -> str:
    scheme, rest = server_url.split("://", 1)
    return f"{scheme}://watcher:{quote(password, safe='')}@{rest.rsplit('@', 1)[-1]}"


def forms(secret: str) -> set[str]:
    """What would give ``secret`` away: itself, its percent-encoded forms, its first four characters."""
    return {secret, quote(secret, safe=""), quote(secret), quote(secret, safe="").replace("%20", "+"), secret[:4],
            quote(secret, safe="")[:4]}


def test_no_configured_password_appears_in_anything_watcher_prints_logs_or_serves(
        tmp_path: Path, database_url: tuple[str, list[str]]) -> None:
    db_url, db_secrets = database_url
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire.xml").write_text(FEED, encoding="utf-8")
    (feeds / "late.xml").write_text(FEED, encoding="utf-8")
    config = tmp_path / "watchlist.yaml"
    seen: dict[str, str] = {}  # what -> everything watcher printed, logged or served there
    hook_port, http_port = free_port(), free_port()

    def watcher(name: str, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "watcher", *argv], env=dict(base_env, **env),
                              capture_output=True, text=True, timeout=120)
        seen[f"{name}: stdout"], seen[f"{name}: stderr"] = done.stdout, done.stderr
        return done

    with (serve_folder(feeds) as base, receiver(hook_port, Received()) as hook,
          running_smtp_server(auth=True, tls="offered", password=SMTP_PASSWORD) as smtp):
        config.write_text(WATCHLIST.format(base=base, hook=hook_port), encoding="utf-8")
        good_smtp = smtp_url(smtp.url, SMTP_PASSWORD)
        base_env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=db_url,
                        WATCHER_SMTP_URL=good_smtp, WATCHER_HOOK_PASSWORD=HOOK_PASSWORD, WATCHER_LOG_FORMAT="json",
                        WATCHER_LOG_LEVEL="DEBUG", WATCHER_OUTBOX=str(tmp_path / "outbox"))

        assert watcher("check", "check").returncode == 0
        assert watcher("db upgrade", "db", "upgrade").returncode == 0
        assert watcher("poll", "poll", "--source", "Wire", WATCHER_LOG_FORMAT="text").returncode == 0
        assert "Nikol Pashinyan" in watcher("preview", "digest", "daily", "--preview").stdout
        wrong = watcher("wrong password", "digest", "daily", "--send", WATCHER_SMTP_URL=smtp_url(smtp.url, WRONG_PASSWORD))
        assert wrong.returncode == 1 and "refused the login" in wrong.stdout + wrong.stderr
        assert smtp.messages == []
        assert watcher("send", "digest", "daily", "--send").returncode == 0
        assert len(smtp.messages) == 1 and smtp.logins == ["watcher"] and hook.messages
        status = watcher("status", "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["deliveries"]["sent"] >= 1
        broken = watcher("broken smtp url", "digest", "daily", "--send",
                         WATCHER_SMTP_URL=f"smtp://watcher:{RAW_PASSWORD}@[::1")
        said = [line for line in broken.stderr.splitlines() if not line.startswith("{")]  # beside the JSON log lines
        assert broken.returncode == 1 and len(said) == 1 and "WATCHER_SMTP_URL" in said[0]
        unreachable = (f"postgresql+psycopg://watcher:{quote(UNREACHABLE_PASSWORD, safe='')}@127.0.0.1:1/w"
                       f"?password={quote(UNREACHABLE_PASSWORD, safe='')}&connect_timeout=5")
        down = watcher("unreachable database", "status", "--json", WATCHER_DATABASE_URL=unreachable)
        assert down.returncode == 1 and "Traceback" not in down.stderr

        service = subprocess.Popen([sys.executable, "-m", "watcher", "run"], text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=dict(base_env, WATCHER_HTTP=f"127.0.0.1:{http_port}"))
        try:
            metrics = ""
            deadline = time.monotonic() + 60
            while 'source="Late"' not in metrics and time.monotonic() < deadline:
                time.sleep(0.3)
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as response:
                        metrics = response.read().decode()
                except OSError:
                    continue  # not listening yet
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=5) as response:
                seen["/healthz"] = response.read().decode()
        finally:
            service.send_signal(signal.SIGTERM)
            out, err = service.communicate(timeout=30)
        seen["run: stdout"], seen["run: stderr"], seen["/metrics"] = out, err, metrics
        assert 'source="Late"' in metrics and "service started" in err
        seen["digest mailed"] = smtp.messages[0].data.decode("utf-8", "replace")
        seen["digest to the channel"] = json.dumps(hook.messages, ensure_ascii=False)

    assert any('"level": "info"' in text for name, text in seen.items() if name.endswith("stderr"))  # JSON logs
    secrets = [SMTP_PASSWORD, WRONG_PASSWORD, RAW_PASSWORD, HOOK_PASSWORD, UNREACHABLE_PASSWORD, *db_secrets]
    leaks = [(name, form) for secret in secrets for form in forms(secret) for name, text in seen.items() if form in text]
    assert leaks == [], leaks
