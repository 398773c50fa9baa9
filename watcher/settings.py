"""Settings from the environment (database, mail, outbox, HTTP): read once at start, passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from watcher.errors import ConfigError
from watcher.redact import secrets_of

DEFAULT_DATABASE_URL = "sqlite:///watcher.db"
DEFAULT_OUTBOX = "outbox"
DEFAULT_MAIL_FROM = "watcher@localhost"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the environment configures. Secrets (SMTP password) only ever come from here."""

    database_url: str = DEFAULT_DATABASE_URL
    smtp_url: str | None = None  # smtp://user:pass@host:587?starttls=1, smtps://host:465
    mail_from: str = DEFAULT_MAIL_FROM
    outbox: Path = Path(DEFAULT_OUTBOX)  # where digests go as .eml files when smtp_url is unset
    http_listen: str | None = None  # host:port for /healthz and /metrics; off when unset
    log_format: str = "text"  # text or json
    log_level: str = "INFO"
    poll_workers: int | None = None  # processes of a `watcher poll`; None: one per core

    @property
    def secrets(self) -> list[str]:
        """The passwords the database and mail URLs carry: never printed, logged or served."""
        return secrets_of(self.database_url) + secrets_of(self.smtp_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``WATCHER_*`` variables; raise ConfigError naming the variable when one is invalid."""
        env = os.environ if env is None else env
        log_format = env.get("WATCHER_LOG_FORMAT", "text").lower()
        if log_format not in {"text", "json"}:
            raise ConfigError(f"WATCHER_LOG_FORMAT={log_format!r}: use 'text' or 'json'")
        smtp_url = env.get("WATCHER_SMTP_URL") or None
        if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
            raise ConfigError(f"WATCHER_SMTP_URL must start with smtp:// or smtps://, not {smtp_url.split(':')[0]}:")
        http_listen = env.get("WATCHER_HTTP") or None
        if http_listen is not None:
            parse_listen(http_listen)
        workers = env.get("WATCHER_POLL_WORKERS") or None
        if workers is not None and not (workers.isdigit() and int(workers) >= 1):
            raise ConfigError(f"WATCHER_POLL_WORKERS={workers!r}: use a whole number of processes, 1 or more")
        return cls(
            database_url=env.get("WATCHER_DATABASE_URL") or DEFAULT_DATABASE_URL,
            smtp_url=smtp_url,
            mail_from=env.get("WATCHER_MAIL_FROM") or DEFAULT_MAIL_FROM,
            outbox=Path(env.get("WATCHER_OUTBOX") or DEFAULT_OUTBOX),
            http_listen=http_listen,
            log_format=log_format,
            log_level=(env.get("WATCHER_LOG_LEVEL") or "INFO").upper(),
            poll_workers=int(workers) if workers else None,
        )


def env_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The passwords ``WATCHER_DATABASE_URL`` and ``WATCHER_SMTP_URL`` carry, read even when the settings are invalid
    (for the error that says so)."""
    env = os.environ if env is None else env
    return secrets_of(env.get("WATCHER_DATABASE_URL")) + secrets_of(env.get("WATCHER_SMTP_URL"))


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9108`` for IPv6) of WATCHER_HTTP as (host, port); ConfigError naming it otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or "[" in host or "]" in host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ConfigError(f"WATCHER_HTTP={text!r}: write host:port, e.g. 127.0.0.1:9108")
    return host or "127.0.0.1", int(port)
