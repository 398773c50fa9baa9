"""The service never freezes: `watcher run` against a mail server that never finishes a conversation, a database
that stops answering, a storm of SIGHUPs and slow HTTP clients. /healthz answers and SIGTERM stops it throughout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url
from tcp_proxy import tcp_proxy
from test_store_fixtures import _postgres_schema_url

from watcher.config import parse_watchlist
from watcher.feedserver import serve_folder
from watcher.match import compile_matcher
from watcher.models import Item
from watcher.periods import close_period
from watcher.store import Store, upgrade

pytest_plugins = ["smtp_server"]
REPO = Path(__file__).resolve().parents[1]
FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Pashinyan meets Aliyev</title><link>http://example.org/1</link></item></channel></rss>"""
CONFIG = """\
defaults: {{every: 1s}}
sources:
  - {{name: Wire, url: '{base}/wire.xml'}}
actors:
  - {{id: pashinyan, name: Nikol Pashinyan}}
digests:
  - {{id: daily, title: Daily, to: [analyst@example.org], schedule: "daily 07:00"}}
"""


@dataclass
class Running:
    """A `watcher run` process and the lines of its log so far."""

    process: subprocess.Popen[str]
    http: str
    log: list[str] = field(default_factory=list)

    def health(self) -> int:
        """The status of GET /healthz; an exception when no answer comes within 5 s."""
        try:
            with urllib.request.urlopen(f"{self.http}/healthz", timeout=5) as response:  # loopback only
                return int(response.status)
        except urllib.error.HTTPError as e:
            return e.code

    def stop_within(self, seconds: float) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            assert self.process.wait(timeout=seconds) == 0
        except subprocess.TimeoutExpired:
            pytest.fail(f"the service did not stop within {seconds:g} s of SIGTERM")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """``start(env, actors=0)``: `watcher run` with these extra variables and this many more actors in its watchlist
    (a local feed is served); killed at the end if still up."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "wire.xml").write_text(FEED, encoding="utf-8")
    started: list[Running] = []
    with serve_folder(feeds) as base:
        config = tmp_path / "watchlist.yaml"
        config.write_text(CONFIG.format(base=base), encoding="utf-8")

        def start(extra: dict[str, str], actors: int = 0) -> Running:
            more = "".join(f"  - {{id: a{n}, name: Actor{n} Person{n}, aliases: [Actor{n} P{n}x, Nick{n}y]}}\n"
                           for n in range(actors))
            config.write_text(CONFIG.format(base=base).replace("digests:", more + "digests:"), encoding="utf-8")
            port = free_port()
            env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_OUTBOX=str(tmp_path / "outbox"),
                       WATCHER_HTTP=f"127.0.0.1:{port}", **extra)
            process = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=env, stderr=subprocess.PIPE,
                                       stdout=subprocess.DEVNULL, text=True, cwd=REPO)
            running = Running(process, f"http://127.0.0.1:{port}")
            started.append(running)
            ready = threading.Event()

            def read() -> None:
                assert process.stderr is not None
                for line in process.stderr:
                    running.log.append(line)
                    if "service started" in line:
                        ready.set()

            threading.Thread(target=read, daemon=True).start()
            assert ready.wait(30), "the service did not start: " + "".join(running.log[-20:])
            return running

        try:
            yield start
        finally:
            for running in started:
                if running.process.poll() is None:
                    running.process.kill()
                    running.process.wait()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def queue_a_digest(url: str) -> None:
    """A pending delivery in the database, as a period closed before the service started leaves it."""
    watchlist = parse_watchlist(CONFIG.format(base="http://127.0.0.1:9"))
    now = datetime.now(UTC)
    item = Item(key="http://example.org/queued", title="Pashinyan queued", text="", link="http://example.org/queued",
                published=now)
    with Store.open(url) as store:
        store.sync_sources([("Wire", "http://127.0.0.1:9/wire.xml")], now=now)
        store.record_success("Wire", now=now - timedelta(minutes=1), status=200, etag=None, last_modified=None,
                             items=[item], matches={item.key: compile_matcher(watchlist.entries).match(item)})
        assert close_period(store, watchlist, watchlist.digests[0], now=now, sender="w@example.org")


def items_stored(url: str) -> int:
    with Store.open(url) as store:
        return sum(h.total_items for h in store.source_health())


def test_a_mail_server_that_never_finishes_freezes_neither_polling_nor_health_nor_stop(
        tmp_path: Path, service: Callable[..., Running], smtp_tarpit: Callable[..., Any]) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    upgrade(url)
    queue_a_digest(url)
    with smtp_tarpit(trickle=True) as smtp:  # each read gets a byte in time: only a deadline would end it
        running = service({"WATCHER_DATABASE_URL": url, "WATCHER_SMTP_URL": smtp})
        wait_until(lambda: items_stored(url) >= 2, "the feed was not polled while the mail server hung")
        for _ in range(3):
            assert running.health() == 200
            time.sleep(0.5)
        running.stop_within(10)


@pytest.mark.postgres
def test_a_database_that_stops_answering_freezes_neither_health_nor_stop(
        postgres_url: str, service: Callable[..., Running]) -> None:
    schema = _postgres_schema_url(postgres_url)
    url = next(schema)
    try:
        upgrade(url)
        direct = make_url(url)
        with tcp_proxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            through = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            running = service({"WATCHER_DATABASE_URL": through})
            wait_until(lambda: items_stored(url) >= 1, "the feed was not polled")
            assert running.health() == 200
            proxy.freeze()  # every open connection: the next statement waits for ever
            time.sleep(3)
            for _ in range(3):
                assert running.health() in (200, 503)  # an answer, in time, whatever it says
                time.sleep(0.5)
            running.stop_within(15)
    finally:
        schema.close()  # drops the schema


def test_a_storm_of_sighups_is_a_few_reloads_off_the_loop_and_health_answers_throughout(
        tmp_path: Path, service: Callable[..., Running]) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    upgrade(url)
    # A watchlist whose reload takes about a second (reading and compiling 5,000 actors), longer than the storm's
    # gaps at any load: the count of reloads then says the signals were coalesced, whatever the machine's speed.
    running = service({"WATCHER_DATABASE_URL": url}, actors=5000)
    assert running.health() == 200
    answers: list[int | str] = []

    def probe() -> None:
        while len(answers) < 6:
            try:
                answers.append(running.health())
            except OSError as e:
                answers.append(str(e))
            time.sleep(0.3)

    prober = threading.Thread(target=probe)
    prober.start()
    for _ in range(100):  # one every 20 ms: each is delivered, faster than a reload
        running.process.send_signal(signal.SIGHUP)
        time.sleep(0.02)
    prober.join(60)
    assert answers == [200] * 6
    wait_until(lambda: any("watchlist reloaded" in line for line in running.log), "no reload after the SIGHUPs")
    running.stop_within(10)
    reloads = sum("watchlist reloaded" in line for line in running.log)
    assert 1 <= reloads <= 25, reloads  # 100 signals: without coalescing, 100 reloads


def test_slow_http_clients_are_cut_and_bounded_and_an_overlong_request_gets_its_answer(
        tmp_path: Path, service: Callable[..., Running]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    running = service({"WATCHER_DATABASE_URL": url})
    port = int(running.http.rsplit(":", 1)[1])
    # A request line far longer than any real one: a short answer, not a traceback.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\n\r\n")
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 414"), answer
    # Clients that send a header line now and then, and never finish their request.
    slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(300)]
    try:
        for s in slow:
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
        for _ in range(3):
            time.sleep(1)
            for s in slow:
                with suppress(OSError):  # closed by the server already
                    s.sendall(b"X-Slow: 1\r\n")
        deadline = time.monotonic() + 20
        for s in slow:  # each is closed by the server: refused at once past the cap, or cut at the deadline
            s.settimeout(max(deadline - time.monotonic(), 0.1))
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            except TimeoutError:
                pytest.fail("a slow HTTP client was kept open past the request deadline")
    finally:
        for s in slow:
            s.close()
    assert running.health() == 200
    assert not any("Traceback" in line for line in running.log), "".join(running.log)
    running.stop_within(10)
