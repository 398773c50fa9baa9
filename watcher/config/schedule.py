"""Digest schedules: cron (``0 7 * * *``), readable forms (``daily 07:00``, ``weekly mon 07:00``,
``hourly``) and ``immediate``. The one place that knows schedule syntax and fire times.

cronsim does the calendar arithmetic, the way Debian's cron treats daylight saving: a schedule at a fixed
hour fires once on the day the clocks go back (at the first of the two 02:30s) and, on the day they go
forward, at the moment the skipped time would have come; an hourly or ``*/30`` schedule fires in both
copies of a repeated hour. APScheduler's cron trigger, used here before, looped forever on any fire time
inside a repeated hour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"([01]?\d|2[0-3]):([0-5]\d)"
_DAILY = re.compile(rf"^daily(?:\s+(?:at\s+)?{_TIME})?$")
_WEEKLY = re.compile(rf"^weekly(?:\s+({'|'.join(_DAYS)})[a-z]*)?(?:\s+(?:at\s+)?{_TIME})?$")
# The years a fire time may fall in: a walk past them (a clock or a stored date gone wild) ends instead.
_FIRST = datetime(1971, 1, 1, tzinfo=UTC)
_LAST = datetime(9998, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: a crontab in a time zone, or ``immediate`` (crontab is None)."""

    text: str
    crontab: str | None
    timezone: str

    @property
    def immediate(self) -> bool:
        return self.crontab is None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time (UTC) strictly after ``moment`` (aware), or None for immediate."""
        found = list(islice(self.fire_times(moment, reverse=False), 1))
        return found[0] if found else None

    def fire_times(self, moment: datetime, *, reverse: bool) -> Iterator[datetime]:
        """Fire times (UTC) strictly after ``moment`` (before it when ``reverse``), nearest first."""
        if self.crontab is None or not _FIRST <= moment <= _LAST:
            return
        zone = ZoneInfo(self.timezone)
        last: datetime | None = None
        try:
            for fire in CronSim(self.crontab, moment.astimezone(zone), reverse=reverse):
                utc = fire.astimezone(UTC)
                if not _FIRST <= utc <= _LAST:
                    return
                # A skipped time and the first time after the gap are one instant: fire once.
                if utc != last and (utc < moment if reverse else utc > moment):
                    yield utc
                last = utc
        except (OverflowError, ValueError):  # the walk reached the calendar's end
            return


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
        if len(crontab.split()) != 5:
            raise CronSimError("a cron line has five fields: minute hour day month weekday")
        CronSim(crontab, datetime.now(UTC))
    except CronSimError as e:
        raise ValueError(
            f"{text!r} is not a schedule ({e}): write a cron line such as '0 7 * * *', "
            "'daily 07:00', 'weekly mon 07:00', 'hourly' or 'immediate'"
        ) from None
    return Schedule(text, crontab, timezone)


def previous_before(schedule: Schedule, moment: datetime, count: int) -> list[datetime]:
    """Up to ``count`` fire times (UTC) strictly before ``moment``, newest first (none for immediate)."""
    if count <= 0:
        return []
    return list(islice(schedule.fire_times(moment, reverse=True), count))
