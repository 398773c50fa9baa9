"""The HTTP endpoint answers malformed, oversized and unfinished requests with a short status line of its own and
logs no traceback; a WATCHER_HTTP it cannot use is one line and exit code 2."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.metrics import Metrics
from watcher.service import http
from watcher.service.http import start_http
from watcher.settings import Settings
from watcher.store import upgrade

# What a client sends, and the status it must get back.
REQUESTS = {
    "a request line of 200 KB": (b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\n\r\n", 414),
    "a header line of 100 KB": (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n", 431),
    "a thousand headers": (b"GET /healthz HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 1000 + b"\r\n", 431),
    "binary garbage with line breaks": (bytes(range(256)) * 4, 400),
    "a TLS hello on the plain port": (bytes.fromhex("16030100a5010000a10303") + bytes(160), 408),
    "a request line without a version": (b"GET /healthz\r\n\r\n", 400),
    "a request line and headers that never end": (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", 408),
    "half a request line": (b"GET /hea", 408),
    "a well-formed request": (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, int]]:
    """A live endpoint in a thread of its own, with a request deadline of half a second."""
    monkeypatch.setattr(http, "REQUEST_DEADLINE", 0.5)
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(start_http(f"127.0.0.1:{port}", Metrics(), lambda: (True, {})))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", port
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not problems, [r.getMessage() for r in problems]


def _ask(address: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(address, timeout=10) as s:
        with suppress(BrokenPipeError, ConnectionResetError):  # refused before it was all sent: the answer waits
            s.sendall(request)
        answer = b""
        try:
            while chunk := s.recv(4096):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


@pytest.mark.parametrize("case", REQUESTS)
def test_every_request_gets_a_clean_answer(case: str, endpoint: tuple[str, int]) -> None:
    request, status = REQUESTS[case]
    answer = _ask(endpoint, request)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert b"Connection: close" in answer


def test_a_client_that_hangs_up_at_once_gets_nothing_and_logs_nothing(endpoint: tuple[str, int]) -> None:
    with socket.create_connection(endpoint, timeout=10) as s:
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b""


@pytest.mark.parametrize("listen", ["127.0.0.1:notaport", "127.0.0.1:70000", "[::1:9108", "9108", "127.0.0.1:"])
def test_a_bad_watcher_http_is_one_line_from_the_settings(listen: str) -> None:
    with pytest.raises(Exception) as caught:
        Settings.from_env({"WATCHER_HTTP": listen})
    assert str(caught.value) == f"WATCHER_HTTP={listen!r}: write host:port, e.g. 127.0.0.1:9108"


@pytest.mark.parametrize("taken", [False, True], ids=["not a port", "a port in use"])
def test_run_with_a_watcher_http_it_cannot_use_is_one_line_and_exit_2(
        taken: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watchlist.yaml"
    config.write_text("sources:\n  - {name: nowhere, url: 'http://127.0.0.1:9/feed.xml'}\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    upgrade(url)
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    monkeypatch.setenv("WATCHER_OUTBOX", str(tmp_path / "outbox"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        listen = f"127.0.0.1:{busy.getsockname()[1]}" if taken else "127.0.0.1:notaport"
        monkeypatch.setenv("WATCHER_HTTP", listen)
        assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("WATCHER_HTTP")]
    assert len(lines) == 1 and lines[0].startswith(f"WATCHER_HTTP={listen!r}: "), err
    if taken:
        assert "address already in use" in lines[0].lower()
