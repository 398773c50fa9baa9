"""Pure HTTP rules of the fetcher: Retry-After, what a status means to an operator, where a redirect goes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

from watcher.errors import FetchError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
# What Cloudflare's interstitial pages contain; any one is enough once the server says cloudflare.
_CHALLENGE_MARKERS = (b"challenge-platform", b"cf-chl", b"cf_chl_opt", b"just a moment...",
                      b"attention required! | cloudflare", b"checking your browser")

_EXPLANATIONS = {
    400: "bad request; some servers answer 400 to clients without a browser-like user_agent",
    401: "authentication required; the feed is not public",
    403: "blocked by the server; try a browser-like user_agent (or the server blocks this network)",
    404: "not found; check the feed URL, it may have moved",
    410: "gone; the feed was removed for good: deactivate the source or find its new URL",
    451: "unavailable for legal reasons in this network's country",
}


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None if absent or invalid."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is always GMT, even when the zone is missing
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def is_cloudflare_challenge(status: int, headers: Mapping[str, str], body_start: bytes) -> bool:
    """True when a 403/429/503 is Cloudflare's bot check rather than the site's own answer."""
    if status not in {403, 429, 503}:
        return False
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return True
    if "cloudflare" not in headers.get("server", "").lower():
        return False
    lowered = body_start.lower()
    return any(marker in lowered for marker in _CHALLENGE_MARKERS)


def status_error(url: str, status: int, headers: Mapping[str, str], body_start: bytes,
                 now: datetime) -> FetchError:
    """The FetchError for an HTTP status >= 400, with a message an operator can act on."""
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    if is_cloudflare_challenge(status, headers, body_start):
        why = ("Cloudflare challenge (bot protection): the site only answers browsers that run JavaScript; "
               "no user_agent helps, use another feed URL or a news search for this outlet")
    elif status == 429:
        why = "rate limited; poll this source less often"
    elif status in _EXPLANATIONS:
        why = _EXPLANATIONS[status]
    elif status >= 500:
        why = "server error, usually temporary"
    else:
        why = "the server refused the request"
    if retry_after is not None:
        why += f"; the server asks to retry after {retry_after:.0f} s"
    return FetchError(f"{url}: HTTP {status} {phrase}: {why}", status=status, retry_after=retry_after)


def redirect_target(url: str, status: int, location: str | None) -> str:
    """The absolute URL a redirect points to; FetchError if it has none or leaves http(s)."""
    if not location or not location.strip():
        raise FetchError(f"{url}: HTTP {status} redirect without a Location header", status=status)
    try:
        target = urljoin(url, location.strip())
        scheme = urlsplit(target).scheme.lower()
    except ValueError as e:
        raise FetchError(f"{url}: HTTP {status} redirects to an invalid URL {location!r}: {e}", status=status) from e
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(f"{url}: HTTP {status} redirects to {target} (scheme {scheme or 'missing'}); "
                         "only http and https redirects are followed", status=status)
    return target.split("#", 1)[0]


def check_url(url: str) -> None:
    """Raise FetchError unless ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise FetchError(f"{url!r} is not a valid URL: {e}") from e
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise FetchError(f"{url!r} is not an http(s) URL; only http and https feeds can be fetched")
