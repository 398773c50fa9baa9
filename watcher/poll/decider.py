"""The poll's decider: a source's next state, a pure function of its previous state, the poll's outcome, ``now``
and a seed. What it decides is what the store writes (``watcher.poll.record``), field for field.

Like lemon24/reader's Decider and miniflux's ScheduleNextCheck, every rule is here and nowhere else:

- a success (200 or 304) resets the failures and waits the source's interval plus a little jitter, or longer
  when the server asks (``Cache-Control: max-age``, ``Expires``, ``Retry-After``), up to ``MAX_SERVER_DELAY``;
- a failure waits ``interval * 2 ** (failures - 1)``, capped at ``MAX_BACKOFF`` (never below the interval),
  or the server's ``Retry-After`` when that is longer (within the same sane bound);
- 410 Gone disables the source: no next due time until an operator acts;
- a permanent redirect is remembered, so later polls go to the new URL (until the watchlist names it, or a
  redirect points back to the URL the watchlist names).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from watcher.models import FetchResult

MAX_BACKOFF = timedelta(hours=6)
MAX_SERVER_DELAY = timedelta(hours=24)  # a server asking for more is ignored beyond this
JITTER_SHARE = 0.1  # of the interval, at most MAX_JITTER
MAX_JITTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the scheduler needs to know about one poll."""

    ok: bool  # a document or a 304 arrived (a feed that failed to parse is not ok)
    status: int | None = None
    retry_after: float | None = None  # seconds, from the Retry-After header
    cache_control: str | None = None
    expires: str | None = None
    date: str | None = None  # the server's Date header, the base of Expires
    permanent_redirect: str | None = None

    @classmethod
    def of(cls, result: FetchResult) -> Outcome:
        """The outcome of a fetch that brought a document or a 304."""
        return cls(ok=True, status=result.status, cache_control=result.header("cache-control"),
                   expires=result.header("expires"), date=result.header("date"),
                   permanent_redirect=result.permanent_redirect)


@dataclass(frozen=True, slots=True)
class Decision:
    """The source's next state: when it is due (None: disabled), its failure count, why it is disabled, and
    where later polls go when a permanent redirect moved it (None: the URL the watchlist names)."""

    next_due_at: datetime | None
    failures: int
    disabled_reason: str | None = None
    moved_to: str | None = None
    delay: timedelta = timedelta(0)  # next_due_at - now, without jitter: what the rules chose


def decide_next_poll(outcome: Outcome, *, failures: int, interval: timedelta, now: datetime, seed: str,
                     url: str = "", moved_to: str | None = None) -> Decision:
    """The next state after ``outcome``, given ``failures`` and ``moved_to`` before it, the source's ``interval``
    and the ``url`` the watchlist names."""
    moved = moved_to
    if outcome.permanent_redirect:
        moved = None if outcome.permanent_redirect == url else outcome.permanent_redirect
    if outcome.status == 410:
        return Decision(None, failures + 1, disabled_reason="HTTP 410 Gone: the feed was removed for good",
                        moved_to=moved)
    hint = server_delay(outcome, now)
    if outcome.ok:
        failures = 0
        delay = interval
    else:
        failures += 1
        delay = backoff(interval, failures)
    if hint is not None:
        delay = max(delay, min(hint, max(MAX_SERVER_DELAY, interval)))
    return Decision(now + delay + jitter(interval, seed), failures, moved_to=moved, delay=delay)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after ``failures`` consecutive failures: doubling from the interval, capped at MAX_BACKOFF."""
    if failures <= 0:
        return interval
    doubled: timedelta = interval * int(2 ** min(failures - 1, 32))
    return max(interval, min(doubled, MAX_BACKOFF))


def jitter(interval: timedelta, seed: str) -> timedelta:
    """A deterministic share of the interval (same seed, same jitter) so sources sharing a host drift apart."""
    span = min(interval * JITTER_SHARE, MAX_JITTER).total_seconds()
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return timedelta(seconds=random.Random(digest).uniform(0, span))


def server_delay(outcome: Outcome, now: datetime) -> timedelta | None:
    """The longest wait the server asked for (Retry-After, max-age, Expires), or None."""
    hints: list[float] = []
    if outcome.retry_after is not None and outcome.retry_after >= 0:
        hints.append(outcome.retry_after)
    if outcome.ok:  # freshness headers describe a document, not an error page
        if (age := max_age(outcome.cache_control)) is not None:
            hints.append(age)
        elif (until := _http_date(outcome.expires)) is not None:
            base = _http_date(outcome.date) or now
            hints.append((until - base).total_seconds())
    positive = [h for h in hints if h > 0]
    return timedelta(seconds=max(positive)) if positive else None


def max_age(cache_control: str | None) -> float | None:
    """``max-age`` (or ``s-maxage``) seconds of a Cache-Control value; 0 for no-cache/no-store; None if absent."""
    if not cache_control:
        return None
    found: float | None = None
    for directive in cache_control.lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name in {"no-cache", "no-store"}:
            return 0.0
        if name in {"max-age", "s-maxage"}:
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                continue
            found = max(found or 0.0, seconds)
    return found


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None  # "Expires: 0" and other invalid dates mean "already expired"
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["MAX_BACKOFF", "MAX_SERVER_DELAY", "Decision", "Outcome", "backoff", "decide_next_poll", "jitter", "max_age",
           "server_delay"]
