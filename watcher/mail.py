"""Deliver composed digest mails: over SMTP (smtplib lives only here) or into an outbox folder of .eml files."""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from watcher.errors import MailError, MailRefused

_HINT = "check WATCHER_SMTP_URL"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
CONVERSATION_TIMEOUTS = 4  # a whole SMTP conversation may take this many times the URL's timeout= (per answer)


@runtime_checkable
class Mailer(Protocol):
    """Something that delivers one RFC 5322 message; ``name`` identifies the delivery (the outbox's file name)."""

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str], name: str) -> None:
        """Deliver ``message`` to ``recipients``; raise MailError when it was not accepted."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """What an ``smtp://`` or ``smtps://`` URL says; the password never appears in repr or errors."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    timeout: float
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpTarget({self.display()})"

    def display(self) -> str:
        """``smtps://user@host:465`` without the password."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse ``smtp://[user:pass@]host[:port][?starttls=1&timeout=30]`` or ``smtps://...``; MailError when invalid."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise MailError("WATCHER_SMTP_URL is not an SMTP URL", hint="write smtp://[user:pass@]host[:port][?starttls=1] or smtps://...")
    query = {k: v[-1].strip().lower() for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise MailError(f"WATCHER_SMTP_URL has unknown options {sorted(unknown)}", hint="use starttls=1 and timeout=SECONDS")
    starttls = query.get("starttls", "0")
    if starttls not in _TRUE | _FALSE:
        raise MailError(f"WATCHER_SMTP_URL: starttls={starttls!r}", hint="use starttls=1 or starttls=0")
    try:
        port = parts.port
        timeout = float(query.get("timeout", "30"))
    except ValueError as e:
        raise MailError(f"WATCHER_SMTP_URL: {e}", hint="the port and timeout must be numbers") from None
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=starttls in _TRUE and not implicit,
        timeout=timeout if timeout > 0 else 30.0,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class SmtpMailer:
    """Send over SMTP, one connection per message (digests are few; a fresh session survives server restarts)."""

    def __init__(self, url: str, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.target = parse_smtp_url(url)
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return f"SmtpMailer({self.target.display()})"

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str], name: str) -> None:
        """Deliver over SMTP; MailRefused for a 5xx answer to MAIL, RCPT or DATA, MailError for any other failure.

        The message is sent once the server has accepted it (250 after DATA), whatever the session does after:
        a bad answer to QUIT or a dropped connection then must not make the caller send it again. The whole
        conversation has a deadline (``CONVERSATION_TIMEOUTS`` times the URL's timeout), so a server that
        trickles its answers byte by byte cannot hold the sender for ever.
        """
        t = self.target
        where = t.display()
        if not recipients:
            raise MailError(f"delivery {name}: no recipients")
        deadline = _Deadline(t.timeout * CONVERSATION_TIMEOUTS)
        try:
            with self._session(deadline) as smtp:
                if t.starttls:
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if t.username:
                    smtp.login(t.username, t.password or "")
                refused = smtp.sendmail(sender, list(recipients), message)
        except (smtplib.SMTPException, OSError) as e:
            raise self._failure(e, deadline=deadline, sender=sender) from None
        if refused:
            # Some recipients got it; a retry would send them a second copy, so say exactly who did not.
            raise MailRefused(f"{where} refused some recipients: {_refusals(refused)}",
                              hint="check the digest's `to:` addresses")

    def _failure(self, e: smtplib.SMTPException | OSError, *, deadline: _Deadline, sender: str) -> MailError:
        """The MailError (MailRefused for a 5xx to MAIL, RCPT or DATA) that explains ``e`` to an operator."""
        t = self.target
        where = t.display()
        if deadline.expired:  # whatever the cut socket made smtplib say
            return MailError(f"{where} did not finish the conversation within {deadline.seconds:g}s",
                             hint=f"{_HINT}: host, port, timeout=")
        if isinstance(e, smtplib.SMTPAuthenticationError):
            return MailError(f"{where} refused the login for {t.username!r}: {_reply(e)}",
                             hint=f"{_HINT}: user and password")
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            error = MailRefused if all(code >= 500 for code, _ in e.recipients.values()) else MailError
            return error(f"{where} refused every recipient: {_refusals(e.recipients)}",
                         hint="check the digest's `to:` addresses, or the relay rules of the server in WATCHER_SMTP_URL")
        if isinstance(e, smtplib.SMTPSenderRefused):
            return _refusal(e)(f"{where} refused the sender {sender!r}: {_reply(e)}",
                               hint="check WATCHER_MAIL_FROM against what the server in WATCHER_SMTP_URL accepts")
        if isinstance(e, smtplib.SMTPDataError):
            return _refusal(e)(f"{where} refused the message: {_reply(e)}", hint=_HINT)
        if isinstance(e, smtplib.SMTPNotSupportedError):
            return MailError(f"{where} does not support {e}", hint=f"{_HINT}: drop starttls=1 or the user, or use smtps://")
        if isinstance(e, smtplib.SMTPResponseException):
            return MailError(f"{where} answered {_reply(e)}", hint=_HINT)
        if isinstance(e, ssl.SSLCertVerificationError):
            return MailError(f"{where} presented a certificate that is not trusted: {e.verify_message}",
                             hint=f"{_HINT}: the host name must match the server's certificate")
        if isinstance(e, ssl.SSLError):
            return MailError(f"TLS with {where} failed: {e}",
                             hint=f"{_HINT}: smtps:// for port 465, smtp://...?starttls=1 for 587")
        if isinstance(e, ConnectionRefusedError):
            return MailError(f"{where} refused the connection", hint=f"{_HINT}: host and port; is the server running?")
        if isinstance(e, TimeoutError) or isinstance(e.__context__, TimeoutError):  # smtplib wraps a read's
            return MailError(f"{where} did not answer within {t.timeout:g}s", hint=f"{_HINT}: host, port, timeout=")
        return MailError(f"sending to {where} failed: {e}", hint=_HINT)

    @contextmanager
    def _session(self, deadline: _Deadline) -> Iterator[smtplib.SMTP]:
        """A connected session under ``deadline``; closed at the end without letting QUIT's answer matter."""
        t = self.target
        opened: list[smtplib.SMTP] = []  # smtplib connects in its constructor: the session says so as it starts
        with deadline.cutting(lambda: opened[0].sock if opened else None):
            smtp = (_SmtpSsl(t.host, t.port, timeout=t.timeout, context=self._context(), opened=opened)
                    if t.implicit_tls else _Smtp(t.host, t.port, timeout=t.timeout, opened=opened))
            try:
                yield smtp
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


class _Announced(smtplib.SMTP):
    """An smtplib session that adds itself to ``opened`` as it connects, before it waits for the greeting."""

    def __init__(self, *args: Any, opened: list[smtplib.SMTP], **kwargs: Any) -> None:
        self.opened = opened
        super().__init__(*args, **kwargs)

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> tuple[int, bytes]:
        self.opened.append(self)
        return super().connect(host, port, source_address)


class _Smtp(_Announced):
    """Plain SMTP (STARTTLS on request)."""


class _SmtpSsl(_Announced, smtplib.SMTP_SSL):
    """SMTP over TLS from the first byte."""


class _Deadline:
    """Ends an SMTP session that runs past ``seconds``: shutting its socket down wakes any blocked read or write."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False

    @contextmanager
    def cutting(self, current_socket: Callable[[], socket.socket | None]) -> Iterator[None]:
        """Shut ``current_socket()`` down, again and again, once the deadline has passed and until the block ends."""
        done = threading.Event()

        def watch() -> None:
            if done.wait(self.seconds):
                return
            self.expired = True
            while not done.is_set():  # the socket may not be open yet, or be replaced (STARTTLS)
                sock = current_socket()
                if sock is not None:
                    with suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                done.wait(0.2)

        threading.Thread(target=watch, name="smtp-deadline", daemon=True).start()
        try:
            yield
        finally:
            done.set()


def _refusal(e: smtplib.SMTPResponseException) -> type[MailError]:
    """A 5xx answer is a refusal for good; 4xx (and anything else) means try again later."""
    return MailRefused if 500 <= e.smtp_code < 600 else MailError


def _reply(e: smtplib.SMTPResponseException) -> str:
    text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
    return f"{e.smtp_code} {' '.join(text.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{rcpt}: {code} {msg.decode('utf-8', 'replace').strip()}" for rcpt, (code, msg) in refused.items())


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")


class OutboxMailer:
    """Write each message to ``<directory>/<name>.eml``, atomically; the same name overwrites the same file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.directory)!r})"

    def path_for(self, name: str) -> Path:
        """The file a delivery called ``name`` goes to."""
        return self.directory / f"{outbox_file_stem(name)}.eml"

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str], name: str) -> None:
        """Write the message (temp file + fsync + rename, so readers never see half a file)."""
        target = self.path_for(name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(message)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            raise MailError(f"cannot write {target}: {e.strerror or e}",
                            hint="check WATCHER_OUTBOX, or set WATCHER_SMTP_URL to send mail instead") from None


def outbox_file_stem(name: str) -> str:
    """A file-system-safe stem for ``name``; a short hash keeps names that differ only in unsafe characters apart."""
    stem = _UNSAFE.sub("_", name).lstrip(".") or "message"
    if stem != name or len(stem) > 120:
        stem = f"{stem[:120]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return stem


def make_mailer(smtp_url: str | None, outbox: Path) -> Mailer:
    """An SmtpMailer when ``smtp_url`` is set, else an OutboxMailer writing into ``outbox``."""
    if smtp_url:
        return SmtpMailer(smtp_url)
    return OutboxMailer(outbox)
