"""The service's clock: real UTC time, or (for tests and demos) time running faster from a shared epoch.

``WATCHER_TEST_CLOCK=EPOCH*SCALE`` (EPOCH in Unix seconds) makes ``now`` run ``SCALE`` times faster than
real time from EPOCH on; processes given the same value share one fake clock, so a test can run days of
schedule in minutes across several processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from watcher.errors import ConfigError

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real time, aware UTC."""
    return datetime.now(UTC)


def scaled_clock(epoch: float, scale: float) -> Clock:
    """A clock equal to the real one at ``epoch`` that runs ``scale`` times faster."""
    def now() -> datetime:
        return datetime.fromtimestamp(epoch + (time.time() - epoch) * scale, UTC)
    return now


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The clock ``WATCHER_TEST_CLOCK`` asks for, else the real one."""
    spec = env.get("WATCHER_TEST_CLOCK")
    if not spec:
        return utcnow
    epoch, _, scale = spec.partition("*")
    try:
        return scaled_clock(float(epoch), float(scale or 1))
    except ValueError:
        raise ConfigError(f"WATCHER_TEST_CLOCK={spec!r}: write EPOCH*SCALE, e.g. 1767225600*60") from None
