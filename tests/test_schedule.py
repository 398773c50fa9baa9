"""Digest schedules: cron and readable forms, in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.config.schedule import parse_schedule


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
