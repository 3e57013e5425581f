"""Deadlines: calendar time by default; with working days on, Saturdays and Sundays do
not count (public holidays are not modelled yet)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def add_time(start: datetime, duration: timedelta, working_days: bool = False) -> datetime:
    """`start` + `duration`, counting only Monday–Friday when `working_days` is on."""
    if not working_days:
        return start + duration
    current = timezone.localtime(start)
    remaining = duration
    while True:
        if current.weekday() >= 5:  # jump to the next Monday, 00:00
            days = 7 - current.weekday()
            current = (current + timedelta(days=days)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            continue
        midnight = (current + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        left_today = midnight - current
        if remaining <= left_today:
            return current + remaining
        remaining -= left_today
        current = midnight
