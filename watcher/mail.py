"""Deliver composed digest mails: over SMTP (smtplib lives only here) or into an outbox folder of .eml files."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
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
_MAX_CHALLENGES = 5  # answers to 334 in one AUTH exchange, as smtplib allows
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
    cafile: str | None = None  # CA certificates to trust instead of the system's (a private relay's own CA)

    def __repr__(self) -> str:
        return f"SmtpTarget({self.display()})"

    def display(self) -> str:
        """``smtps://user@host:465`` without the password."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse ``smtp://[user:pass@]host[:port][?starttls=1&timeout=30&cafile=PATH]`` or ``smtps://...``; MailError
    when invalid, in one line that never holds the password.

    A user or password is written percent-encoded where it holds a character of the URL's syntax (``/`` %2F,
    ``?`` %3F, ``#`` %23, ``@`` %40, ``%`` %25, ``:`` in the user %3A, a blank %20); other characters, non-ASCII
    ones included, may be written as they are (UTF-8 when percent-encoded). A raw ``@`` is read as urllib reads
    it (the userinfo ends at the last one); a raw ``/``, ``?`` or ``#`` cuts the URL short and is refused.
    """
    url = url.strip()
    example = "write smtp://[user:pass@]host[:port][?starttls=1] or smtps://..."
    scheme, _, rest = url.partition("://")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # "[::1" and the like: urllib's message may quote the user and password
        raise MailError("WATCHER_SMTP_URL: the host is not a valid name or [IPv6] address", hint=example) from None
    if rest.rfind("@") > len(parts.netloc):
        raise MailError("WATCHER_SMTP_URL: the user or password holds a raw '/', '?' or '#', which ends the host part",
                        hint="percent-encode them in the URL: / as %2F, ? as %3F, # as %23 (and @ as %40, % as %25)")
    if scheme.lower() not in {"smtp", "smtps"} or not hostname:
        raise MailError("WATCHER_SMTP_URL is not an SMTP URL", hint=example)
    query = {k: v[-1].strip() for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout", "cafile"}
    if unknown:
        raise MailError(f"WATCHER_SMTP_URL has unknown options {sorted(unknown)}",
                        hint="use starttls=1, timeout=SECONDS and cafile=PATH")
    starttls = query.get("starttls", "0").lower()
    if starttls not in _TRUE | _FALSE:
        raise MailError(f"WATCHER_SMTP_URL: starttls={starttls!r}", hint="use starttls=1 or starttls=0")
    try:
        port = parts.port
    except ValueError:
        port_text = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise MailError(f"WATCHER_SMTP_URL: the port {port_text!r} is not a number from 0 to 65535",
                        hint=f"{example}; leave the port out for 25 (smtp) or 465 (smtps)") from None
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise MailError(f"WATCHER_SMTP_URL: timeout={query['timeout']!r}", hint="the timeout is a number of seconds") from None
    cafile = query.get("cafile") or None
    if cafile is not None and not os.path.isfile(cafile):
        raise MailError(f"WATCHER_SMTP_URL: cafile={cafile!r} is no file", hint="a PEM file of the CA certificates to trust")
    implicit = scheme.lower() == "smtps"
    return SmtpTarget(
        host=hostname,
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=starttls in _TRUE and not implicit,
        timeout=timeout if timeout > 0 and math.isfinite(timeout) else 30.0,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        cafile=cafile,
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
                if t.starttls or (t.username and not t.implicit_tls):
                    self._secure(smtp)
                if t.username:
                    smtp.login(t.username, t.password or "")
                refused = smtp.sendmail(sender, list(recipients), message)
        except (smtplib.SMTPException, OSError) as e:
            raise self._failure(e, deadline=deadline, sender=sender) from None
        if refused:
            # Some recipients got it; a retry would send them a second copy, so say exactly who did not.
            raise MailRefused(f"{where} refused some recipients: {_refusals(refused)}",
                              hint="check the digest's `to:` addresses")

    def _secure(self, smtp: smtplib.SMTP) -> None:
        """Upgrade the session with STARTTLS: asked by starttls=1, or implied by credentials, which never go over a
        plain connection; MailError when the server does not offer it (the delivery stays pending)."""
        t = self.target
        if not t.starttls:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise MailError(f"{t.display()} does not offer STARTTLS: the password is not sent over a plain connection",
                                hint=f"{_HINT}: use smtps://, or a server (port 587) that offers STARTTLS")
        smtp.starttls(context=self._context())
        smtp.ehlo()

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
        return self._ssl_context or ssl.create_default_context(cafile=self.target.cafile)


class _Announced(smtplib.SMTP):
    """An smtplib session that adds itself to ``opened`` as it connects, before it waits for the greeting."""

    def __init__(self, *args: Any, opened: list[smtplib.SMTP], **kwargs: Any) -> None:
        self.opened = opened
        super().__init__(*args, **kwargs)

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> tuple[int, bytes]:
        self.opened.append(self)
        return super().connect(host, port, source_address)

    # smtplib encodes what an AUTH mechanism answers as ASCII, so a password with "é" or "ж" raised
    # UnicodeEncodeError; PLAIN (RFC 4616) and the servers' LOGIN and CRAM-MD5 take UTF-8.
    def auth(self, mechanism: str, authobject: Callable[..., str], *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        """smtplib's AUTH exchange, with each answer sent as UTF-8."""
        def encode(answer: str) -> str:
            return base64.b64encode(answer.encode("utf-8")).decode("ascii")

        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, reply = self.docmd("AUTH", f"{mechanism.upper()} {encode(initial)}")
        else:
            code, reply = self.docmd("AUTH", mechanism.upper())
        for _ in range(_MAX_CHALLENGES):
            if code != 334:
                break
            code, reply = self.docmd(encode(authobject(base64.b64decode(reply))))
        if code in (235, 503):
            return code, reply
        raise smtplib.SMTPAuthenticationError(code, reply)

    def auth_login(self, challenge: Any = None) -> str:
        """LOGIN: the user first (unasked, or to "Username:"), then the password."""
        return self.user if challenge is None or challenge.strip().lower().startswith(b"user") else self.password

    def auth_cram_md5(self, challenge: Any = None) -> Any:
        """CRAM-MD5 keyed with the UTF-8 password (no initial response: None)."""
        if challenge is None:
            return None
        digest = hmac.HMAC((self.password or "").encode("utf-8"), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"


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
