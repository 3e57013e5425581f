"""demands.clock.add_time: calendar time by default; working days (Monday–Friday, whole
days) when configured — weekdays read in the deployment's time zone (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from courtyard.demands.clock import add_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def local(day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    """A moment in March 2025, Shanghai time: the 3rd is a Monday, the 7th a Friday."""
    return datetime(2025, 3, day, hour, minute, second, us, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def shanghai(settings):  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (local(7, 17), 24 * H, local(8, 17)),  # Friday 17:00 → Saturday 17:00
        (local(7, 17), 2 * H, local(7, 19)),
        (local(8, 10), 2 * H, local(8, 12)),  # weekends count
        (local(3, 9), 7 * 24 * H, local(10, 9)),  # general: a calendar week
        (local(3, 9), 15 * 24 * H, local(18, 9)),  # complex: 15 calendar days
        (local(7, 17), timedelta(0), local(7, 17)),
    ],
)
def test_calendar_time_is_plain_addition(start, duration, expected):
    assert add_time(start, duration) == expected
    assert add_time(start, duration, working_days=False) == expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Friday 17:00 + 24 h: 7 h of Friday, the weekend skipped, 17 h of Monday.
        (local(7, 17), 24 * H, local(10, 17)),
        # … + 48 h: Friday's 7 h, Monday's 24 h, 17 h of Tuesday.
        (local(7, 17), 48 * H, local(11, 17)),
        (local(7, 17), 2 * H, local(7, 19)),  # within Friday
        (local(7, 17), 7 * H, local(8, 0)),  # exactly to the end of Friday
        (local(7, 17), 7 * H + timedelta(microseconds=1), local(10, 0, us=1)),
        # A start on the weekend counts from Monday 00:00.
        (local(8, 10), 2 * H, local(10, 2)),
        (local(9, 23, 30), H, local(10, 1)),
        (local(8, 0), timedelta(0), local(10, 0)),
        (local(9, 23, 59, 59), 24 * H, local(11, 0)),
        # Exact day boundaries.
        (local(7, 0), 24 * H, local(8, 0)),  # the whole of Friday: ends at its midnight
        (local(7, 0), 24 * H + timedelta(seconds=1), local(10, 0, 0, 1)),
        (local(3, 0), 5 * 24 * H, local(8, 0)),  # Monday 00:00 + five days: Friday's end
        (local(10, 0), timedelta(0), local(10, 0)),
        (local(7, 23, 59, 59), timedelta(seconds=1), local(8, 0)),
        # The configured classes from a Monday morning.
        (local(3, 9), 2 * H, local(3, 11)),  # emergency
        (local(3, 9), 24 * H, local(4, 9)),  # utilities
        (local(3, 9), 7 * 24 * H, local(12, 9)),  # general: next Wednesday
        (local(3, 9), 15 * 24 * H, local(24, 9)),  # complex: three weeks
    ],
)
def test_working_days_skip_saturdays_and_sundays(start, duration, expected):
    assert add_time(start, duration, working_days=True) == expected


def test_weekdays_are_read_in_local_time_not_utc():
    # Friday 20:00 UTC is Saturday 04:00 in Shanghai: the clock starts on Monday.
    start = datetime(2025, 3, 7, 20, 0, tzinfo=UTC)
    due = add_time(start, H, working_days=True)
    assert due == local(10, 1)
    assert due == datetime(2025, 3, 9, 17, 0, tzinfo=UTC)
    # Sunday 17:00 UTC is Monday 01:00 in Shanghai: it counts at once.
    monday = datetime(2025, 3, 9, 17, 0, tzinfo=UTC)
    assert add_time(monday, H, working_days=True) == local(10, 2)


def test_the_result_is_the_same_instant_whatever_the_zone_of_the_start():
    start_local = local(7, 17)
    start_utc = start_local.astimezone(UTC)
    assert add_time(start_utc, 24 * H, working_days=True) == add_time(
        start_local, 24 * H, working_days=True
    )
    assert add_time(start_utc, 24 * H, working_days=True) == local(10, 17)
