"""A real SMTP server on loopback (aiosmtpd) for tests: plain, with required AUTH, refusing recipients, answering
chosen commands with chosen replies or hanging up after DATA; and a tarpit that accepts and never answers.

Use the fixtures from a test module with ``pytest_plugins = ["smtp_server"]`` (tests/ is on sys.path under
pytest's default import mode), or start a server anywhere with ``with running_smtp_server() as server:``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USERNAME = "watcher"
PASSWORD = "s3cret p@ss:word"  # URL-special characters on purpose: the mailer must unquote them
REFUSED_PREFIX = "refused"  # the refusing server answers 550 to recipients whose local part starts so


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the raw bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The data parsed with the modern email API (headers decoded)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    """A running server: ``url`` to give SmtpMailer, ``messages`` it accepted, ``logins`` it saw."""

    host: str
    port: int
    url: str
    messages: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    auth_attempts: list[str] = field(default_factory=list)  # the user of every AUTH the server saw, right or wrong
    ssl_context: ssl.SSLContext | None = None  # for TLS servers: a client context trusting their test CA
    username: str | None = None  # for AUTH servers: the credentials ``url`` carries
    password: str | None = None

    def url_with(self, username: str, password: str) -> str:
        """The server's smtp:// URL carrying these credentials."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{rest.rsplit('@', 1)[-1]}"


class _Handler:
    def __init__(self, server: SmtpServer, refuse: bool, replies: Mapping[str, str], hang_up_after_data: bool,
                 on_data: Callable[[], None] | None) -> None:
        self.server = server
        self.refuse = refuse
        self.replies = replies
        self.hang_up_after_data = hang_up_after_data
        self.on_data = on_data

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.refuse and address.lower().startswith(REFUSED_PREFIX):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if "RCPT" in self.replies:
            return self.replies["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if "DATA" in self.replies:
            return self.replies["DATA"]
        data = envelope.original_content or envelope.content
        self.server.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(data)))
        if self.on_data is not None:
            self.on_data()
        if self.hang_up_after_data:  # once the 250 below is written, the connection goes without a QUIT
            asyncio.get_running_loop().call_later(0.05, smtp.transport.close)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, smtp: Any, session: Any, envelope: Any) -> str:
        return self.replies.get("QUIT", "221 Bye")


class _Controller(Controller):
    def factory(self) -> Any:
        # AUTH over plain TCP is what these tests want; aiosmtpd warns about it on every connection.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()  # type: ignore[no-untyped-call]


def free_port() -> int:
    """A TCP port on loopback that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def running_smtp_server(*, auth: bool = False, refuse: bool = False,
                        tls: Literal["starttls", "offered", "implicit"] | None = None,
                        replies: Mapping[str, str] | None = None, hang_up_after_data: bool = False,
                        on_data: Callable[[], None] | None = None, port: int | None = None,
                        password: str = PASSWORD) -> Iterator[SmtpServer]:
    """Run an aiosmtpd server on 127.0.0.1 (a free port) until the block ends; TLS with a throw-away CA, whose
    certificate the ``url`` names as ``cafile=``.

    ``tls``: "starttls" required (the url says starttls=1), "offered" (the client chooses), "implicit" (smtps).
    ``auth``: AUTH required, with ``password``; it is offered only after STARTTLS when TLS is offered at all.
    ``replies``: the answer to RCPT, DATA or QUIT instead of the usual one (a message answered otherwise than
    250 after DATA is not kept). ``hang_up_after_data``: close the connection once DATA is accepted.
    ``on_data``: called as a message is accepted, before the 250 goes out. ``port``: this one, not a free one.
    """
    port = port or free_port()
    server = SmtpServer(HOST, port, f"smtp://{HOST}:{port}")
    kwargs: dict[str, Any] = {}
    workdir = tempfile.TemporaryDirectory(prefix="smtp-ca-")
    if tls is not None:
        import trustme  # only the TLS fixtures need it

        ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST).configure_cert(server_context)
        server.ssl_context = ssl.create_default_context()
        ca.configure_trust(server.ssl_context)
        cafile = Path(workdir.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(cafile))
        if tls == "implicit":
            kwargs["ssl_context"] = server_context
            server.url = f"smtps://{HOST}:{port}?cafile={quote(str(cafile))}"
        else:
            kwargs.update(tls_context=server_context, require_starttls=tls == "starttls")
            server.url = f"smtp://{HOST}:{port}?{'starttls=1&' if tls == 'starttls' else ''}cafile={quote(str(cafile))}"
    if auth:
        def authenticator(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            login = data.login.decode("utf-8", "replace") if isinstance(data, LoginPassword) else "?"
            server.auth_attempts.append(login)
            ok = (isinstance(data, LoginPassword) and login == USERNAME
                  and data.password.decode("utf-8", "replace") == password)
            if ok:
                server.logins.append(USERNAME)
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)
        server.url = server.url_with(USERNAME, password)
        server.username, server.password = USERNAME, password
    handler = _Handler(server, refuse, replies or {}, hang_up_after_data, on_data)
    controller = _Controller(handler, hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
        workdir.cleanup()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server accepting everything."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server requiring AUTH after STARTTLS, which it offers; ``url`` carries the right credentials and
    the CA to trust (not starttls=1: credentials make the mailer upgrade by itself)."""
    with running_smtp_server(auth=True, tls="offered") as server:
        yield server


@pytest.fixture
def smtp_plain_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server that takes AUTH over plain TCP and offers no STARTTLS: a password must never reach it."""
    with running_smtp_server(auth=True) as server:
        yield server


@pytest.fixture
def smtp_refusing_server() -> Iterator[SmtpServer]:
    """An SMTP server answering 550 to recipients whose address starts with ``refused``."""
    with running_smtp_server(refuse=True) as server:
        yield server


@pytest.fixture
def smtp_starttls_server() -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS; ``ssl_context`` trusts its certificate, ``url`` has starttls=1."""
    with running_smtp_server(tls="starttls") as server:
        yield server


@pytest.fixture
def smtps_server() -> Iterator[SmtpServer]:
    """An SMTP server speaking TLS from the first byte (smtps://); ``ssl_context`` trusts its certificate."""
    with running_smtp_server(tls="implicit") as server:
        yield server


@pytest.fixture
def closed_smtp_url() -> str:
    """An smtp:// URL of a loopback port nobody listens on (connection refused)."""
    return f"smtp://{HOST}:{free_port()}"


@contextmanager
def tarpit(*, trickle: bool = False) -> Iterator[str]:
    """An smtp:// URL of a loopback server that accepts connections and never answers a whole line.

    ``trickle``: it sends one byte of a greeting every 0.2 s, so no single read ever times out.
    """
    listener = socket.create_server((HOST, 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                pass
            else:
                held.append(conn)
            if trickle:
                for conn in held:
                    with suppress(OSError):
                        conn.send(b"2")
                stop.wait(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"smtp://{HOST}:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def smtp_servers() -> Callable[..., Any]:
    """:func:`running_smtp_server` itself, for tests that start servers of their own kind (replies, port ...)."""
    return running_smtp_server


@pytest.fixture
def smtp_tarpit() -> Callable[..., Any]:
    """:func:`tarpit` itself: ``with smtp_tarpit(trickle=True) as url: ...``."""
    return tarpit
