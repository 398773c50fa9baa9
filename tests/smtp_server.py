"""A real SMTP server on loopback (aiosmtpd) for tests: plain, with required AUTH, and refusing recipients.

Use the fixtures from a test module with ``pytest_plugins = ["smtp_server"]`` (tests/ is on sys.path under
pytest's default import mode), or start a server anywhere with ``with running_smtp_server() as server:``.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
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
    ssl_context: ssl.SSLContext | None = None  # for TLS servers: a client context trusting their test CA
    username: str | None = None  # for AUTH servers: the credentials ``url`` carries
    password: str | None = None

    def url_with(self, username: str, password: str) -> str:
        """The server's smtp:// URL carrying these credentials."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{rest.rsplit('@', 1)[-1]}"


class _Handler:
    def __init__(self, server: SmtpServer, refuse: bool) -> None:
        self.server = server
        self.refuse = refuse

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.refuse and address.lower().startswith(REFUSED_PREFIX):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        self.server.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(data)))
        return "250 Message accepted for delivery"


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
                        tls: Literal["starttls", "implicit"] | None = None) -> Iterator[SmtpServer]:
    """Run an aiosmtpd server on 127.0.0.1 (a free port) until the block ends; TLS with a throw-away CA."""
    port = free_port()
    server = SmtpServer(HOST, port, f"smtp://{HOST}:{port}")
    kwargs: dict[str, Any] = {}
    if tls is not None:
        import trustme  # only the TLS fixtures need it

        ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST).configure_cert(server_context)
        server.ssl_context = ssl.create_default_context()
        ca.configure_trust(server.ssl_context)
        if tls == "implicit":
            kwargs["ssl_context"] = server_context
            server.url = f"smtps://{HOST}:{port}"
        else:
            kwargs.update(tls_context=server_context, require_starttls=True)
            server.url = f"smtp://{HOST}:{port}?starttls=1"
    if auth:
        def authenticator(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and data.login.decode() == USERNAME and data.password.decode() == PASSWORD
            if ok:
                server.logins.append(USERNAME)
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
        server.url = server.url_with(USERNAME, PASSWORD)
        server.username, server.password = USERNAME, PASSWORD
    controller = _Controller(_Handler(server, refuse), hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server accepting everything."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server requiring AUTH (over plain TCP, for tests); ``url`` carries the right credentials."""
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
