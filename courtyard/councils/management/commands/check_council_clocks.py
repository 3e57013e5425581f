"""`courtyard check_council_clocks`: mark proposals past their screening deadline and put
resolutions in effect whose publication and objection periods are over. Idempotent; safe
to run every minute and from several processes at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from courtyard.councils.actions import check_council_clocks


class Command(BaseCommand):
    help = "Sweep the councils' clocks (screening deadlines, resolutions taking effect)."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = check_council_clocks()
        self.stdout.write(
            f"screening overdue: {swept.screening_overdue}, in effect: {swept.in_effect}"
        )
