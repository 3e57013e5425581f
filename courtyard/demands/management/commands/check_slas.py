"""`courtyard check_slas [--now ISO] [--quiet]` — one sweep of the demands' SLA clocks.

Reminds before deadlines, marks overdue demands and escalates them (see demands.sla).
Idempotent and safe to run every minute from cron or systemd timers, from several
processes at once. `--now` sweeps as of another moment (for checks and replays).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.demands.sla import sweep


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date and time; without an offset it is read in the deployment's zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("--now takes an ISO 8601 date and time, such as 2025-03-07T17:00+08:00: %(value)s")
            % {"value": value}
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Remind before demand deadlines, mark overdue demands and escalate them to the street "
        "and the district. Safe to run every minute, from several processes at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            help="sweep as of this ISO 8601 moment instead of the current time",
        )
        parser.add_argument("--quiet", action="store_true", help="print nothing")

    def handle(
        self, *args: Any, now: str | None = None, quiet: bool = False, **options: Any
    ) -> None:
        moment = parse_moment(now) if now is not None else None
        report = sweep(moment)
        if not quiet:
            self.stdout.write(
                _(
                    "Reminded: %(reminded)d, marked overdue: %(overdue)d, escalated: "
                    "%(escalated)d (demands examined: %(examined)d)."
                )
                % {
                    "reminded": report.reminded,
                    "overdue": report.overdue,
                    "escalated": report.escalated,
                    "examined": report.examined,
                }
            )
