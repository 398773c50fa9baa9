"""Human durations in the watchlist: ``90s``, ``15m``, ``1h30m``, ``2d``, ``1w``."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")


def parse_duration(value: object) -> timedelta:
    """Parse ``15m``-style text (or a number of seconds) into a positive timedelta."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("expected a duration such as 15m, 2h or 7d")
    elif isinstance(value, (int, float)) and value == value:  # NaN is the one number unequal to itself
        seconds = float(value) if abs(value) < 1e300 else (math.inf if value > 0 else -math.inf)
    elif isinstance(value, str) and _WHOLE.match(value.lower()):
        seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(value.lower()))
    else:
        raise ValueError(f"{value!r} is not a duration: write it as 90s, 15m, 1h30m, 2d or 1w")
    if seconds <= 0:
        raise ValueError("a duration must be greater than zero")
    # timedelta overflows past a billion days, and YAML's .inf is a float like any other.
    if seconds >= timedelta.max.total_seconds():
        raise ValueError(f"{value!r} is not a duration: too long")
    return timedelta(seconds=seconds)
