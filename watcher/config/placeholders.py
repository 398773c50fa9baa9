"""``{env:NAME}`` in a channel URL: a secret (a bot token, a password) stays in the environment, not the watchlist.

The URL is kept as written wherever it is stored, shown or logged; only the sender expands it, just before it sends
(watcher.channels). Watcher's own settings are never expanded into a URL: they hold the secrets of other services
(the database's and the mail server's passwords), which a watchlist must not be able to send anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from watcher.errors import ConfigError
from watcher.redact import redact_url

PLACEHOLDER = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
MAX_URL = 2000  # characters of a channel URL as written
# Settings that carry credentials of watcher's own services (watcher.settings).
RESERVED = frozenset({"WATCHER_DATABASE_URL", "WATCHER_SMTP_URL", "WATCHER_TEST_POSTGRES_URL"})


def check_channel_url(value: str) -> str:
    """A channel URL as written: ``scheme://...`` without blanks, its placeholders well formed; ValueError otherwise."""
    if len(value) > MAX_URL:
        raise ValueError(f"a channel URL of {len(value)} characters: at most {MAX_URL}")
    if not _SCHEME.match(value):
        raise ValueError("not a channel URL: write it in apprise's syntax, e.g. tgram://{env:TELEGRAM_TOKEN}/CHAT_ID "
                         "or json://host/path")
    rest = PLACEHOLDER.sub("", value)
    if "{env:" in rest or "{ENV:" in rest.upper():
        raise ValueError("a placeholder is written {env:NAME}, NAME being letters, digits and _ (not starting with a digit)")
    reserved = sorted(set(needed(value)) & RESERVED)
    if reserved:
        raise ValueError(f"{{env:{reserved[0]}}}: watcher's own settings are never put in a channel URL")
    return value


def needed(url: str) -> list[str]:
    """The environment variables ``url`` names, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(url)))


def missing(url: str, env: Mapping[str, str]) -> list[str]:
    """The variables ``url`` names that ``env`` does not set (or sets empty)."""
    return [name for name in needed(url) if not env.get(name)]


def expand(url: str, env: Mapping[str, str]) -> str:
    """``url`` with each ``{env:NAME}`` replaced by the variable's value, as it is; ConfigError naming a missing one."""
    absent = missing(url, env)
    if absent:
        raise ConfigError(f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not set in the environment",
                          hint=f"the channel URL {url} needs {'it' if len(absent) == 1 else 'them'}")
    return PLACEHOLDER.sub(lambda m: env[m[1]], url)


def values(url: str, env: Mapping[str, str]) -> list[str]:
    """The values ``url``'s placeholders expand to (the secrets to hide wherever the expanded URL might show)."""
    return [env[name] for name in needed(url) if env.get(name)]


def display(url: str) -> str:
    """``url`` as it may be shown: as written, with its placeholders; a password written in clear (which
    watcher.channels.channel_problems refuses) hidden all the same, for rows stored before a check ran."""
    return redact_url(url)
