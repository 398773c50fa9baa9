"""Deliver composed digest mails: over SMTP (smtplib lives only here) or into an outbox folder of .eml files."""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from watcher.errors import MailError

_HINT = "check WATCHER_SMTP_URL"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


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
        """Deliver over SMTP; every failure becomes a MailError whose hint names WATCHER_SMTP_URL."""
        t = self.target
        where = t.display()
        if not recipients:
            raise MailError(f"delivery {name}: no recipients")
        try:
            with self._connect() as smtp:
                if t.starttls:
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if t.username:
                    smtp.login(t.username, t.password or "")
                refused = smtp.sendmail(sender, list(recipients), message)
        except smtplib.SMTPAuthenticationError as e:
            raise MailError(f"{where} refused the login for {t.username!r}: {_reply(e)}",
                            hint=f"{_HINT}: user and password") from None
        except smtplib.SMTPRecipientsRefused as e:
            raise MailError(f"{where} refused every recipient: {_refusals(e.recipients)}",
                            hint="check the digest's `to:` addresses, or the relay rules of the server in "
                                 "WATCHER_SMTP_URL") from None
        except smtplib.SMTPSenderRefused as e:
            raise MailError(f"{where} refused the sender {sender!r}: {_reply(e)}",
                            hint="check WATCHER_MAIL_FROM against what the server in WATCHER_SMTP_URL accepts") from None
        except smtplib.SMTPNotSupportedError as e:
            raise MailError(f"{where} does not support {e}",
                            hint=f"{_HINT}: drop starttls=1 or the user, or use smtps://") from None
        except smtplib.SMTPResponseException as e:
            raise MailError(f"{where} answered {_reply(e)}", hint=_HINT) from None
        except ssl.SSLCertVerificationError as e:
            raise MailError(f"{where} presented a certificate that is not trusted: {e.verify_message}",
                            hint=f"{_HINT}: the host name must match the server's certificate") from None
        except ssl.SSLError as e:
            raise MailError(f"TLS with {where} failed: {e}",
                            hint=f"{_HINT}: smtps:// for port 465, smtp://...?starttls=1 for 587") from None
        except ConnectionRefusedError:
            raise MailError(f"{where} refused the connection", hint=f"{_HINT}: host and port; is the server running?") from None
        except TimeoutError:
            raise MailError(f"{where} did not answer within {t.timeout:g}s", hint=f"{_HINT}: host, port, timeout=") from None
        except (smtplib.SMTPException, OSError) as e:
            raise MailError(f"sending to {where} failed: {e}", hint=_HINT) from None
        if refused:
            # Some recipients got it; a retry would send them a second copy, so say exactly who did not.
            raise MailError(f"{where} refused some recipients: {_refusals(refused)}",
                            hint="check the digest's `to:` addresses")

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.implicit_tls:
            return smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=self._context())
        return smtplib.SMTP(t.host, t.port, timeout=t.timeout)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


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
