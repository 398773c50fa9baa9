"""The one rule for showing a URL or a setting that may hold a secret: whatever prints, logs or serves one
(errors, log lines, `db upgrade`, `status`, `check`, channel names) renders it through :func:`redact_url`, or
:func:`redact_text` for a line that may contain URLs.

Hidden: the password of the userinfo (``user:***@host``) and the value of every query parameter whose name says
it is a credential (``password``, ``pass``, ``pwd``, ``secret``, ``token``, ``key``, ``apikey``,
``access_token``, ``auth``..., in any case). A URL need not parse cleanly for that: a password written raw with
``/``, ``?``, ``#``, ``@`` or a blank cuts the authority short for ``urllib.parse`` (``smtp://u:pa/ss@host`` is
the host ``u`` with the port ``pa`` to it), so the userinfo is taken here up to the last ``@`` of the URL. Web
URLs (http, https) are the exception: their paths hold ``@`` (``/@user/feed``), so there the userinfo ends at the
authority unless the authority is plainly cut (``host:word``, no port). When a URL is ambiguous, more is hidden,
never less. ``{env:NAME}`` placeholders are shown: they name a secret, they are not one.

:func:`secrets_of` gives the values a URL hides, so a log handler can mask them wherever they turn up (a
driver's message quoting them, a URL cut at a blank in a line of text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

HIDDEN = "***"
_WEB = frozenset({"http", "https"})
_SECRET_NAME = re.compile(r"pass|pwd|secret|token|key|auth|credential|signature|session|cookie", re.IGNORECASE)
_REFERENCE = re.compile(r"\{env:[A-Za-z_][A-Za-z0-9_]*\}")  # watcher.config.placeholders: a name, not a value
# A value runs to the next "&name=" (a secret may hold a bare "&" or "#"), else to the end.
_PARAM = re.compile(r"(?P<name>[^&=#]+)=(?P<value>.*?)(?=&[^&=#\s]+=|$)", re.DOTALL)
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
MIN_SECRET = 3  # shorter values are not masked in free text: "***" for every "ab" would garble every line


def redact_url(url: str) -> str:
    """``url`` with its password and credential parameters replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _redact_query(url, 0)
    start = 0
    end = _userinfo_end(scheme.lower(), rest)
    if end is not None:
        user, colon, password = rest[:end].partition(":")
        if colon and not _REFERENCE.fullmatch(password):
            rest = f"{user}:{HIDDEN}{rest[end:]}"
            end = len(user) + 1 + len(HIDDEN)
        start = end + 1
    else:
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        host, colon, after = authority.rpartition(":")
        if colon and "]" not in after and not after.isdigit() and not _REFERENCE.search(authority):
            # "user:pa" of a URL cut short: whatever follows the colon is no port, so it may be a password
            rest = f"{host}:{HIDDEN}{rest[len(authority):]}"
    return f"{scheme}://{_redact_query(rest, start)}"


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL in it redacted, and each of ``secrets`` (and its percent-encoded forms) masked."""
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m[0]), text)
    for form in _masked_forms(tuple(secrets)):
        text = text.replace(form, HIDDEN)
    return text


@functools.lru_cache(maxsize=32)  # a log handler masks the same few secrets in every line
def _masked_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Each secret as written and percent-encoded (path, query and form style), longest first."""
    forms = {form for secret in secrets if len(secret) >= MIN_SECRET
             for form in (secret, quote(secret, safe=""), quote(secret), quote(secret, safe="").replace("%20", "+"))}
    return tuple(sorted(forms, key=len, reverse=True))


def secrets_of(url: str | None) -> list[str]:
    """The values :func:`redact_url` hides in ``url``, as written and percent-decoded."""
    if not url:
        return []
    found: list[str] = []
    scheme, sep, rest = url.partition("://")
    end = _userinfo_end(scheme.lower(), rest) if sep else None
    if end is not None:
        _, colon, password = rest[:end].partition(":")
        if colon and password:
            found.append(password)
    query = rest[(end or 0):].partition("?")[2] if sep else url.partition("?")[2]
    found += [m["value"] for m in _PARAM.finditer(query) if _SECRET_NAME.search(m["name"]) and m["value"]]
    return [s for value in found for s in dict.fromkeys((value, unquote(value))) if not _REFERENCE.fullmatch(s)]


def _userinfo_end(scheme: str, rest: str) -> int | None:
    """Where the userinfo of ``rest`` (the URL after ``scheme://``) ends (its ``@``), or None when it has none."""
    last = rest.rfind("@")
    if last < 0:
        return None
    cut = re.search(r"[/?#]", rest)
    authority = rest[: cut.start()] if cut else rest
    if scheme not in _WEB or "@" not in rest[len(authority):]:
        return last
    if "@" in authority:
        return authority.rfind("@")
    _, colon, after = authority.partition(":")
    return last if colon and not after.isdigit() else None  # "user:pa/ss@host": a password with a "/" in it


def _redact_query(rest: str, start: int) -> str:
    """``rest`` with the values of credential parameters hidden in its query (after the first ``?`` from ``start``)."""
    mark = rest.find("?", start)
    if mark < 0:
        return rest

    def hide(m: re.Match[str]) -> str:
        secret = _SECRET_NAME.search(m["name"]) and not _REFERENCE.fullmatch(m["value"])
        return f"{m['name']}={HIDDEN}" if secret and m["value"] else m[0]

    return rest[: mark + 1] + "&".join(_PARAM.sub(hide, part) if "=" in part else part
                                       for part in _split_params(rest[mark + 1:]))


def _split_params(query: str) -> list[str]:
    """The parameters of ``query``, split at each ``&`` that starts a new ``name=`` (a value may hold a bare ``&``)."""
    return re.split(r"&(?=[^&=#\s]+=)", query)
