"""Digest schedules: cron and readable forms, in a time zone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from watcher.config.schedule import Schedule, parse_schedule, previous_before

T = TypeVar("T")


@pytest.mark.parametrize(
    ("text", "crontab"),
    [("0 7 * * *", "0 7 * * *"), ("daily 07:00", "0 7 * * *"), ("daily at 18:30", "30 18 * * *"),
     ("weekly mon 07:00", "0 7 * * mon"), ("weekly friday 9:05", "5 9 * * fri"), ("hourly", "0 * * * *"),
     ("Daily  07:00", "0 7 * * *")],
)
def test_readable_forms_become_cron(text: str, crontab: str) -> None:
    assert parse_schedule(text, "UTC").crontab == crontab


def test_immediate_has_no_cron() -> None:
    schedule = parse_schedule("immediate", "UTC")
    assert schedule.immediate and schedule.next_after(datetime.now(UTC)) is None


@pytest.mark.parametrize("text", ["0 25 * * *", "daily 25:00", "weekly someday", "every now and then", "* * *"])
def test_bad_schedules_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match="is not a schedule"):
        parse_schedule(text, "UTC")


def test_next_fire_time_is_in_the_digest_time_zone() -> None:
    schedule = parse_schedule("daily 07:00", "Asia/Yerevan")  # UTC+4, no DST
    after = datetime(2026, 11, 22, 2, 59, tzinfo=UTC)
    assert schedule.next_after(after) == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    at = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert schedule.next_after(at) == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


# Daylight saving: every schedule form across both transitions in zones east and west of UTC, north and south,
# and one without DST. APScheduler's cron trigger looped forever on a fire time inside a repeated hour.
FORMS = ["hourly", "*/30 * * * *", "*/20 1-3 * * *", "daily 02:30", "daily 01:30", "daily 02:00", "daily 03:00",
         "daily 07:00", "weekly sun 02:30", "0 2 * * *", "30 1,2 * * *", "15 */2 * * *", "0 0 * * 0"]
ZONES = {  # zone: (the day clocks go forward, the day they go back), local dates in 2026
    "Europe/Berlin": ((2026, 3, 29), (2026, 10, 25)),
    "America/New_York": ((2026, 3, 8), (2026, 11, 1)),
    "Australia/Sydney": ((2026, 10, 4), (2026, 4, 5)),
    "America/Havana": ((2026, 3, 8), (2026, 11, 1)),  # changes at midnight, not at 02:00
    "Asia/Yerevan": ((2026, 3, 29), (2026, 10, 25)),  # no DST: the same days, nothing happens
}


def finishes(work: Callable[[], T]) -> T:
    """``work()``, or a failure when it is still running after a generous bound (the hang this guards against)."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the schedule computation did not finish"
    return result[0]


def local_day(zone: str, day: tuple[int, int, int]) -> tuple[datetime, datetime]:
    start = datetime(*day, tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@pytest.mark.parametrize("zone", list(ZONES))
@pytest.mark.parametrize("form", FORMS)
def test_every_schedule_form_crosses_both_dst_transitions(form: str, zone: str) -> None:
    schedule = parse_schedule(form, zone)
    for day in ZONES[zone]:
        start, end = local_day(zone, day)
        first, last = start - timedelta(days=2), end + timedelta(days=2)
        forward = finishes(lambda a=first, b=last: fires_between(schedule, a, b))  # type: ignore[misc]
        count = len(forward) + 5
        backward = finishes(lambda b=last, n=count: previous_before(schedule, b, n))  # type: ignore[misc]
        inside = [f for f in backward if first < f]
        assert inside[::-1] == forward  # both directions find the same fire times
        assert forward and all(a < b for a, b in pairwise(forward))


@pytest.mark.parametrize("zone", list(ZONES))
def test_hourly_fires_every_real_hour_and_daily_once_a_day(zone: str) -> None:
    hourly, daily = parse_schedule("hourly", zone), parse_schedule("daily 02:30", zone)
    for day in ZONES[zone]:
        start, end = local_day(zone, day)
        hours = (end - start) // timedelta(hours=1)  # 23, 24 or 25 on a transition day
        assert len(fires_between(hourly, start - timedelta(seconds=1), end)) == hours
        (fire,) = fires_between(daily, start, end)
        local = fire.astimezone(ZoneInfo(zone))
        assert local.date() == start.astimezone(ZoneInfo(zone)).date() and local.hour in {2, 3}


def test_a_repeated_hour_fires_a_fixed_time_once_at_its_first_occurrence() -> None:
    schedule = parse_schedule("daily 02:30", "Europe/Berlin")
    before = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 00:00 CEST on the day the clocks go back
    assert schedule.next_after(before) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert schedule.next_after(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == datetime(
        2026, 10, 26, 1, 30, tzinfo=UTC)  # not again at 02:30 CET, an hour later


def test_a_skipped_time_fires_when_the_clocks_have_gone_forward() -> None:
    schedule = parse_schedule("daily 02:30", "America/New_York")
    assert schedule.next_after(datetime(2026, 3, 8, 5, 0, tzinfo=UTC)) == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the moment 02:30 would have come


def test_weekday_numbers_follow_cron() -> None:
    monday = parse_schedule("0 7 * * 1", "UTC").next_after(datetime(2026, 11, 22, tzinfo=UTC))
    assert monday is not None and monday.strftime("%a") == "Mon"


@pytest.mark.parametrize("moment", [datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)])
def test_times_at_the_ends_of_the_calendar_give_no_fire_times_instead_of_an_error(moment: datetime) -> None:
    schedule = parse_schedule("hourly", "Pacific/Kiritimati")
    assert previous_before(schedule, moment, 3) == [] and schedule.next_after(moment) is None


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    out: list[datetime] = []
    moment = start
    while (fire := schedule.next_after(moment)) is not None and fire < end:
        out.append(fire)
        moment = fire
    return out
