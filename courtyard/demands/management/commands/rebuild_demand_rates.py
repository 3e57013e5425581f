"""`courtyard rebuild_demand_rates [--month YYYY-MM]` — recompute the three rates' rollup
(`DemandTally`) from the dispatches and evaluations (see demands.rebuild)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courtyard.demands.rebuild import rebuild_demand_rates

MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def parse_month(text: str) -> date:
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise CommandError(f"--month takes a month as YYYY-MM (e.g. 2025-03), not {text!r}.")
    return date(int(match[1]), int(match[2]), 1)


class Command(BaseCommand):
    help = (
        "Recompute the monthly response, resolution and satisfaction counts of every place "
        "and unit from the dispatches and evaluations (all months, or one with --month)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="Only this month, as YYYY-MM.")

    def handle(self, *args: Any, month: str | None = None, **options: Any) -> None:
        only = parse_month(month) if month else None
        result = rebuild_demand_rates(only)
        scope = f" for {only:%Y-%m}" if only else ""
        self.stdout.write(
            f"Rebuilt {result.rows} rate rows{scope} from {result.dispatches} dispatches "
            f"and {result.evaluations} evaluations."
        )
