"""Chat and webhook channels (Telegram, Signal, Matrix, ntfy, Slack, json:// and form:// webhooks...) through
apprise, the only module that imports it.

A channel is an apprise URL as the watchlist writes it, its secrets as ``{env:NAME}`` placeholders
(watcher.config.placeholders). The URL as written is what is stored, shown and logged; it is expanded here, in
memory, just before a send, and the values it expands to are hidden from every error that leaves this module. A
URL that would carry a secret in clear (a value apprise itself calls private: a bot token, a password, a webhook
token) is refused by :func:`channel_problems`, which `watcher check` and the service run before anything is sent.

Each service's limits are apprise's: its markup (its own default, or the URL's ``?format=``), the length of its
title and body. The sender gives them to the caller's ``compose``, which writes the message to fit; apprise does
not retry (its ``retry=0`` default): a failed send is retried by watcher.delivery, with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Literal, Protocol

import apprise

from watcher.config.placeholders import display, expand, missing, values
from watcher.config.rules import Path
from watcher.config.schema import Watchlist
from watcher.config.warnings import located
from watcher.errors import ChannelError, ChannelRefused, ConfigError
from watcher.redact import redact_text

DEADLINE = 60.0  # seconds one send may take in all (each connect and read also has apprise's own timeouts)
_MARKUPS: dict[str, Literal["text", "markdown", "html"]] = {"text": "text", "markdown": "markdown", "html": "html"}
# Headers of a webhook URL (+Name=value) whose values are credentials, as apprise's private tokens are.
_SECRET_HEADER = ("authorization", "cookie", "token", "secret", "key", "pass", "auth", "signature")


@dataclass(frozen=True, slots=True)
class Shape:
    """What one service takes, as apprise describes it."""

    markup: Literal["text", "markdown", "html"]
    body_max: int  # characters; 0: no limit
    title_max: int  # characters; 0: the service shows no title
    shared: bool  # the title counts against body_max


Compose = Callable[[Shape], tuple[str, str]]  # (title, body) written for the shape


class ChannelSender(Protocol):
    """Something that delivers one message to one channel URL (as written); raises ChannelError when it was not."""

    def send(self, url: str, compose: Compose) -> None:
        """Send what ``compose`` writes for the channel's shape."""
        ...


class Channels:
    """Sends through apprise, expanding each URL's placeholders from ``env`` at the moment of sending."""

    def __init__(self, env: Mapping[str, str], *, deadline: float = DEADLINE) -> None:
        self.env = env
        self.deadline = deadline

    def send(self, url: str, compose: Compose) -> None:
        """Send what ``compose`` writes for the channel's shape; ChannelError when the service did not take it,
        ChannelRefused when the URL can never be used."""
        secrets = values(url, self.env)
        try:
            plugin = _instantiate(expand(url, self.env), secrets)
        except ConfigError as e:  # a variable is missing: the operator can set it and restart, so it is retried
            raise ChannelError(f"{display(url)}: {e}") from None
        if isinstance(plugin, str):
            raise ChannelRefused(f"{display(url)}: apprise cannot use this URL: {plugin}",
                                 hint="run `watcher check`") from None
        title, body = compose(shape_of(plugin))
        sender = apprise.Apprise(asset=_asset())
        sender.add(plugin)
        result = sender.notify(body=body, title=title, body_format=plugin.resolve_format(None).value,
                               timeout=self.deadline)
        if bool(result):
            return
        if result.status == apprise.AppriseResultStatus.TIMEOUT:
            raise ChannelError(f"{display(url)} did not answer within {self.deadline:g}s")
        said = "; ".join(dict.fromkeys(e.message for e in result.logs() if e.level in ("WARNING", "ERROR")))
        raise ChannelError(f"{display(url)}: {redact_text(said, secrets) or 'not delivered'}")


def shape_of(plugin: Any) -> Shape:
    """The markup and limits of an apprise service instance."""
    markup = _MARKUPS.get(plugin.resolve_format(None).value, "text")
    return Shape(markup=markup, body_max=max(int(plugin.body_maxlen), 0), title_max=max(int(plugin.title_maxlen), 0),
                 shared=bool(getattr(plugin, "overflow_amalgamate_title", False)))


def channel_problems(url: str, env: Mapping[str, str]) -> list[str]:
    """What keeps ``url`` (as written) from being sent with ``env``, without sending: variables not set, a URL apprise
    cannot use, a secret written in clear."""
    absent = missing(url, env)
    if absent:
        return [f"{name} is not set in the environment (the URL names {{env:{name}}})" for name in absent]
    secrets = values(url, env)
    expanded = expand(url, env)
    plugin = _instantiate(expanded, secrets)
    if isinstance(plugin, str):
        return [f"apprise cannot use this URL: {plugin}"]
    return [f"{what} is written in clear: put it in an environment variable and write {{env:NAME}} in its place"
            for what in _clear_secrets(type(plugin), expanded, secrets)]


def watchlist_problems(watchlist: Watchlist, env: Mapping[str, str]) -> list[tuple[Path, str]]:
    """(key path, message) of every channel URL of ``watchlist`` that cannot be sent with ``env``."""
    return [(("digests", i, "notify", j), problem)
            for i, digest in enumerate(watchlist.digests) for j, url in enumerate(digest.notify)
            for problem in channel_problems(url, env)]


def check_watchlist(watchlist: Watchlist, path: FsPath, env: Mapping[str, str]) -> None:
    """Raise ConfigError, one ``FILE:LINE: digests.N.notify.M: message`` per problem, when a channel of ``watchlist``
    (read from ``path``) cannot be sent with ``env``; nothing is sent."""
    problems = watchlist_problems(watchlist, env)
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s)", located(path, problems))


def _instantiate(url: str, secrets: list[str]) -> Any:
    """The apprise service for ``url`` (expanded), or why apprise cannot use it, with ``secrets`` hidden."""
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:  # type: ignore[no-untyped-call]
        plugin = apprise.Apprise.instantiate(url, asset=_asset())
    if plugin is not None:
        return plugin
    said = " ".join(captured.getvalue().split())
    scheme = url.partition("://")[0]
    return redact_text(said, secrets) or f"no service answers to {scheme}:// (see apprise's list of services)"


def _clear_secrets(plugin: type[Any], url: str, secrets: list[str]) -> list[str]:
    """The names of the private values in ``url`` (apprise's own, and webhook headers that carry credentials)
    that do not come from ``secrets``, the placeholders' values."""
    parsed = plugin.parse_url(url) or {}
    tokens: dict[str, Any] = plugin.template_tokens
    found, keys = [], set()
    for name, spec in [*tokens.items(), *plugin.template_args.items()]:
        target = tokens.get(spec.get("alias_of", ""), spec)
        key = spec.get("map_to", target.get("map_to", name))
        if (spec.get("private") or target.get("private")) and key not in keys and _in_clear(parsed.get(key), secrets):
            keys.add(key)
            found.append(f"the {name.replace('_', ' ')}")
    for header, value in (parsed.get("headers") or {}).items():
        if any(word in header.lower() for word in _SECRET_HEADER) and _in_clear(value, secrets):
            found.append(f"the header {header}")
    return list(dict.fromkeys(found))


def _in_clear(value: object, secrets: list[str]) -> bool:
    if isinstance(value, (list, tuple, set)):
        return any(_in_clear(v, secrets) for v in value)
    if not isinstance(value, str) or not value:
        return False
    if any(value in s for s in secrets):  # apprise may have split one value into parts
        return False
    rest = value
    for secret in sorted(secrets, key=len, reverse=True):
        rest = rest.replace(secret, "")
    return bool(rest.strip())


def _asset() -> apprise.AppriseAsset:
    # apprise's own log lines would reach watcher's handlers unfiltered: what they say of a failure is taken from
    # each call instead (LogCapture, a send's result), with the secrets hidden.
    logging.getLogger(apprise.LOGGER_NAME).propagate = False
    # Nothing on disk (a service may run with a read-only file system); apprise's log lines mask URLs.
    return apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY, secure_logging=True)
