"""Background work of the demands app, on Django's tasks API (`django.tasks`).

`check_slas` is the SLA sweep of `courtyard check_slas` (demands.sla.sweep) as a task: a
worker (`courtyard db_worker` with the default database backend, see settings.TASKS) runs
it, and `courtyard schedule_slas` enqueues it every minute (or once, from cron). The sweep
is idempotent and claims every change with a conditional UPDATE, so a task that runs twice,
late, or beside a `check_slas` run from cron acts once per demand: a backlog of queued
sweeps after a worker outage costs reads, never a second reminder or escalation.

Arguments and results cross the queue as JSON: the moment is an ISO 8601 string and the
result the sweep's counts.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.tasks import task
from django.utils import timezone

from courtyard.demands.sla import sweep


@task()
def check_slas(now: str | None = None) -> dict[str, int]:
    """One SLA sweep as of `now` (ISO 8601; the current time when None): the same work and
    the same audit rows as `courtyard check_slas --now NOW`. Returns the sweep's counts."""
    moment = None
    if now is not None:
        moment = datetime.fromisoformat(now)
        if timezone.is_naive(moment):  # read in the deployment's zone, as the command does
            moment = timezone.make_aware(moment)
    return asdict(sweep(moment))
