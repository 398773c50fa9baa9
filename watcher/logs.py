"""Logging to stderr: one line per event, readable in journald, or JSON lines when asked.

Every line goes through watcher.redact: URLs lose their passwords, and the configured secrets (the passwords of
the database and mail URLs) are masked wherever a message or a library's exception quotes them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from watcher.redact import redact_text


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def clean(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def clean_value(self, value: Any) -> Any:
        return self.clean(value) if isinstance(value, str) else value


class _TextFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += " | " + " | ".join(self.formatException(record.exc_info).splitlines())
        return self.clean(line)


class _JsonFormatter(_Redacting):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.clean(record.getMessage()),
        }
        data.update({key: self.clean_value(value) for key, value in getattr(record, "fields", {}).items()})
        if record.exc_info:
            data["exception"] = self.clean(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr in ``fmt`` (text or json), ``secrets`` masked; results stay alone on stdout."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter(secrets) if fmt == "json" else _TextFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "mail.log", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
