"""Digest schedules: cron (``0 7 * * *``), readable forms (``daily 07:00``, ``weekly mon 07:00``,
``hourly``) and ``immediate``. The one place that knows schedule syntax; APScheduler's cron trigger
does the calendar arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"([01]?\d|2[0-3]):([0-5]\d)"
_DAILY = re.compile(rf"^daily(?:\s+(?:at\s+)?{_TIME})?$")
_WEEKLY = re.compile(rf"^weekly(?:\s+({'|'.join(_DAYS)})[a-z]*)?(?:\s+(?:at\s+)?{_TIME})?$")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: a crontab in a time zone, or ``immediate`` (crontab is None)."""

    text: str
    crontab: str | None
    timezone: str

    @property
    def immediate(self) -> bool:
        return self.crontab is None

    def trigger(self) -> CronTrigger:
        if self.crontab is None:
            raise ValueError("an immediate schedule has no trigger")
        return CronTrigger.from_crontab(self.crontab, timezone=ZoneInfo(self.timezone))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after ``moment`` (aware), or None for immediate."""
        if self.crontab is None:
            return None
        trigger = self.trigger()
        nxt: datetime | None = trigger.get_next_fire_time(None, moment)
        if nxt is not None and nxt <= moment:
            nxt = trigger.get_next_fire_time(nxt, nxt)
        return nxt


def parse_schedule(text: str, timezone: str) -> Schedule:
    """Parse ``text``; raise ValueError with a readable message when it is not a schedule."""
    spec = " ".join(text.lower().split())
    if spec == "immediate":
        return Schedule(text, None, timezone)
    if spec == "hourly":
        crontab = "0 * * * *"
    elif m := _DAILY.match(spec):
        crontab = f"{int(m[2] or 0)} {int(m[1] or 7)} * * *"
    elif m := _WEEKLY.match(spec):
        crontab = f"{int(m[3] or 0)} {int(m[2] or 7)} * * {m[1] or 'mon'}"
    else:
        crontab = spec
    try:
        CronTrigger.from_crontab(crontab, timezone=ZoneInfo(timezone))
    except ValueError as e:
        raise ValueError(
            f"{text!r} is not a schedule ({e}): write a cron line such as '0 7 * * *', "
            "'daily 07:00', 'weekly mon 07:00', 'hourly' or 'immediate'"
        ) from None
    return Schedule(text, crontab, timezone)


def previous_before(schedule: Schedule, moment: datetime, count: int) -> list[datetime]:
    """Up to ``count`` fire times (UTC) strictly before ``moment``, newest first (none for immediate)."""
    if schedule.crontab is None or count <= 0:
        return []
    trigger = schedule.trigger()
    # Cron triggers only step forward: walk forward from ever earlier points until enough fire times are found.
    window = timedelta(days=1)
    found: list[datetime] = []
    while window <= timedelta(days=4000):
        found = []
        fire = trigger.get_next_fire_time(None, moment - window)
        while fire is not None and fire < moment:
            found.append(fire.astimezone(UTC))
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if len(found) >= count:
            break
        window *= 2
    return found[::-1][:count]
