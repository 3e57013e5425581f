"""`courtyard schedule_slas [--every SECONDS] [--once]` — enqueue the SLA sweep as a task.

The scheduler half of running `check_slas` in the background: it puts
`demands.tasks.check_slas` on the task queue every SECONDS (60 by default) until stopped,
and a worker (`courtyard db_worker` with the database backend) runs it. `--once` enqueues
one sweep and exits, for cron or a systemd timer. Run one scheduler per deployment; a second
one only makes extra sweeps, which change nothing (the sweep is idempotent).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from courtyard.demands.tasks import check_slas

MIN_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Enqueue the SLA sweep (the check_slas task) every --every seconds until stopped, "
        "or once with --once; a task worker runs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=int, default=60, help="seconds between two sweeps (default 60)"
        )
        parser.add_argument("--once", action="store_true", help="enqueue one sweep and exit")
        parser.add_argument("--quiet", action="store_true", help="print nothing")

    def handle(
        self, *args: Any, every: int = 60, once: bool = False, quiet: bool = False, **options: Any
    ) -> None:
        if every < MIN_SECONDS:
            raise CommandError(_("--every takes at least %(n)d seconds.") % {"n": MIN_SECONDS})
        try:
            self._loop(every, once, quiet)
        except KeyboardInterrupt:  # Ctrl+C in a terminal: stop quietly
            return

    def _loop(self, every: int, once: bool, quiet: bool) -> None:
        while True:
            started = time.monotonic()
            result = check_slas.enqueue()
            if not quiet:
                self.stdout.write(
                    _("SLA sweep enqueued: %(id)s (%(status)s).")
                    % {"id": result.id, "status": result.status}
                )
            if once:
                return
            # Keep the rhythm: an enqueue that took a while shortens the wait, not the pace.
            time.sleep(max(every - (time.monotonic() - started), 0))
