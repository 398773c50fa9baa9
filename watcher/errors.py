"""The project's exception tree; each error carries a hint an operator can act on.

A ``WatcherError`` raised for one source is recorded on that source and the others go on;
anything else is a bug and propagates.
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error the project raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} ({self.hint})" if self.hint else message


class ConfigError(WatcherError):
    """The watchlist or the environment is invalid; ``problems`` holds one line per problem."""

    def __init__(self, message: str, problems: list[str] | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems: list[str] = problems if problems is not None else [message]


class FetchError(WatcherError):
    """A source could not be fetched (network, HTTP status, size or time limit)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retry_after = retry_after


class LinkRefused(FetchError):
    """A link from a feed's content leads to an address it must not reach (loopback, private...): not fetched."""


class ParseError(WatcherError):
    """A fetched document holds no usable feed (HTML page, challenge, unparseable XML)."""


class QueryError(WatcherError):
    """A watchlist query is malformed; ``position`` is the 0-based offset in the query text."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(message)
        self.position = position


class StoreError(WatcherError):
    """The database refused an operation (unreachable, locked, schema too old)."""


class MailError(WatcherError):
    """A digest could not be delivered for now (server down, 4xx, timeout); the delivery stays pending and is retried."""


class MailRefused(MailError):
    """The mail server refused the message for good (a 5xx reply): retrying cannot help, the delivery fails."""


class ChannelError(WatcherError):
    """A channel message (chat, webhook) could not be delivered for now; the delivery stays pending and is retried."""


class ChannelRefused(ChannelError):
    """A channel that can never take the message (a URL apprise cannot use): retrying cannot help, the delivery fails."""
