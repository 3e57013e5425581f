"""The SLA sweep behind `courtyard check_slas`: remind before a deadline, mark overdue,
escalate to the level above.

Each open demand carries the deadline that matters now in `due_at` (set by the actions:
`sign_due_at` while dispatched, `response_due_at` once signed for, `feedback_due_at` once
the requester has been contacted). The sweep reads only demands whose `due_at` falls in a
bounded range of the partial index `demand_due_idx`, in batches of `BATCH_SIZE`, and does
up to three things to each, in this order:

1. **Remind** when the share of the step's time still left reaches
   `REMIND_AT_SHARE_LEFT` (0.25 by default) and the deadline has not passed yet: sets
   `reminded_at`, records "remind_demand". The step starts at `dispatched_at` for signing,
   at `signed_at` (or `dispatched_at`) for the first contact, at `contacted_at` for the
   reply. A step is measured in calendar time and counted as at most its configured length
   (`step_cap`: SIGN_HOURS, RESPONSE_HOURS, FEEDBACK_HOURS of the demand's class, spread
   over weekends when WORKING_DAYS is on): a reply deadline pushed far out by an extension
   is reminded as long before it as the class's usual one. This bounds the range of
   `due_at` the sweep reads, step by step.
2. **Mark overdue** once `due_at` < now: sets `overdue_since` to the deadline itself (the
   moment it became overdue), records "mark_overdue".
3. **Escalate** when the deadline has passed by more than the configured hours
   `settings.DEMANDS["ESCALATION_HOURS"]` — cumulative from the deadline, `[24, 48]` by
   default, counted in working time when `WORKING_DAYS` is on: more than 24 h late → level 1,
   the street (街道/乡镇); more than 48 h → level 2, the district. Sets `escalation_level`,
   records "escalate_demand" with the level and the id of the place escalated to. The level
   never goes down while the demand stays with the same dispatch (a later step overdue by
   less keeps it); `dispatch_demand` resets it to 0.

The audit rows carry the demand's `place_path`, so the community, its street and its
district see them in their history. A reminder tells the unit's handlers (or the
community's staff while the demand has no unit), an escalation the staff of the street or
district it reached (`notifications.events`); each batch sends its notices together, after
its commit.

Idempotent and safe from several processes at once: every change is claimed with a
conditional UPDATE (`filter(pk=…, reminded_at__isnull=True, status=…, due_at=…)`, acting
only when it changed exactly one row, as healthchecks' sendalerts does), so two sweeps never
act twice on a demand, and a demand that an action moved on meanwhile (a new `due_at`) is
left for the next sweep to judge afresh. Each batch is one transaction: a claim and its audit
row are committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courtyard.core.audit import record_event
from courtyard.demands.clock import add_time
from courtyard.demands.conf import DemandSettings, demand_settings
from courtyard.demands.models import OPEN_STATUSES, Demand, Status
from courtyard.notifications import events as notices
from courtyard.notifications.actions import Notice, notify_all
from courtyard.places.models import path_ids

BATCH_SIZE = 1000
# Hours past the deadline after which a demand goes up one level (cumulative): level 1 is
# the street, level 2 the district, a third entry would be the city.
# The fields the sweep reads (and `record_event` needs for the target's text).
_FIELDS = (
    "pk",
    "status",
    "feedback_class",
    "due_at",
    "dispatched_at",
    "signed_at",
    "contacted_at",
    "reminded_at",
    "overdue_since",
    "escalation_level",
    "place_path",
    "public_summary",
    "assignee",
)
_MICROSECOND = timedelta(microseconds=1)
# The same set as `Demand.objects.open()`, said as "not finished": with `status IN (open…)`
# SQLite's planner takes the (status, place_path, id) index and sorts every open demand;
# with `NOT IN (finished…)` it keeps to the due_at range of `demand_due_idx`.
FINISHED_STATUSES = sorted(set(Status.values) - OPEN_STATUSES)


@dataclass
class SweepReport:
    """What one sweep did: demands reminded, marked overdue and escalated, and how many
    candidate rows it read."""

    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    examined: int = 0


def escalation_hours() -> tuple[int, ...]:
    """The configured escalation thresholds in hours past the deadline, increasing."""
    hours = demand_settings().escalation_hours
    if any(h <= 0 for h in hours) or list(hours) != sorted(set(hours)):
        raise ValueError("DEMANDS['ESCALATION_HOURS'] must be increasing positive hours")
    return hours


def calendar_span(duration: timedelta, working_days: bool) -> timedelta:
    """The longest calendar time `duration` can take: itself, or with working days on,
    itself plus a weekend for every five working days it may straddle."""
    if not working_days:
        return duration
    return duration + timedelta(days=2) * (duration // timedelta(days=5) + 1)


def step_cap(config: DemandSettings, status: str, feedback_class: str) -> timedelta | None:
    """The configured length of the step a demand in `status` is in, in calendar time;
    None for a status without a reminder (the unit's three steps have one)."""
    hours: int | None = {
        str(Status.DISPATCHED): config.sign_hours,
        str(Status.SIGNED): config.response_hours,
        str(Status.CONTACTED): config.feedback_hours.get(feedback_class),
    }.get(status)
    if hours is None:
        return None
    return calendar_span(timedelta(hours=hours), config.working_days)


def _share_of(length: timedelta, share: Decimal) -> timedelta:
    microseconds = (share * (length // _MICROSECOND)).to_integral_value(ROUND_HALF_UP)
    return timedelta(microseconds=int(microseconds))


def step_start(demand: Demand) -> datetime | None:
    """When the unit's step that `due_at` closes began."""
    starts: dict[str, tuple[datetime | None, ...]] = {
        Status.DISPATCHED: (demand.dispatched_at,),
        Status.SIGNED: (demand.signed_at, demand.dispatched_at),
        Status.CONTACTED: (demand.contacted_at,),
    }
    return next((moment for moment in starts.get(demand.status, ()) if moment), None)


def remind_at(demand: Demand, *, share: Decimal, cap: timedelta) -> datetime:
    """The moment the share of the step's time left reaches `share`; the step counts as
    at most `cap` long."""
    assert demand.due_at is not None
    start = step_start(demand)
    length = cap if start is None else min(max(demand.due_at - start, timedelta()), cap)
    return demand.due_at - _share_of(length, share)


def escalation_level(due_at: datetime, now: datetime, hours: tuple[int, ...], working: bool) -> int:
    """How many escalation thresholds the demand is past (strictly) at `now`."""
    return sum(1 for h in hours if add_time(due_at, timedelta(hours=h), working) < now)


def escalated_to(place_path: str, level: int) -> int:
    """The place a demand at `place_path` goes up to at `level`: the street (depth 2 of the
    city → district → street tree), the district (depth 1), then the city."""
    ids = path_ids(place_path)
    return ids[min(max(3 - level, 0), len(ids) - 1)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class _Sweeper:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.config = demand_settings()
        self.share = self.config.remind_at_share_left
        self.hours = escalation_hours()
        self.report = SweepReport()
        self.notices: list[Notice | None] = []  # the current batch's, sent after its commit

    def cap(self, demand: Demand) -> timedelta | None:
        return step_cap(self.config, demand.status, demand.feedback_class)

    def candidates(self) -> Any:
        """Open demands where something may be due, each condition a range of `due_at`:
        within the last share of their step ahead of now (reminders), behind now and not
        marked (overdue), behind now by more than the next escalation threshold."""
        now = self.now
        ahead: list[tuple[Q, timedelta]] = []  # (which step, how far ahead to remind)
        if self.share > 0:
            steps = [(Status.DISPATCHED, ""), (Status.SIGNED, "")]
            steps += [(Status.CONTACTED, c) for c in self.config.feedback_hours]
            for status, feedback_class in steps:
                cap = step_cap(self.config, status, feedback_class)
                assert cap is not None
                step = (
                    Q(status=status, feedback_class=feedback_class)
                    if feedback_class
                    else Q(status=status)
                )
                ahead.append((step, _share_of(cap, self.share)))
        wanted = Q(overdue_since__isnull=True, due_at__lt=now)
        for step, window in ahead:
            wanted |= step & Q(reminded_at__isnull=True, due_at__gte=now, due_at__lte=now + window)
        for level, hours in enumerate(self.hours):
            wanted |= Q(escalation_level=level, due_at__lt=now - timedelta(hours=hours))
        horizon = now + max((window for _, window in ahead), default=timedelta())
        return (
            Demand.objects.exclude(status__in=FINISHED_STATUSES)
            .filter(due_at__isnull=False, due_at__lte=horizon)
            .filter(wanted)
            .only(*_FIELDS)
            .order_by("due_at", "pk")
        )

    def run(self, batch_size: int) -> SweepReport:
        candidates = self.candidates()
        after: tuple[datetime, int] | None = None
        while True:
            page = candidates
            if after is not None:
                moment, pk = after  # keyset: (due_at, pk) after the last row, a due_at range
                page = page.filter(Q(due_at__gte=moment) & (Q(due_at__gt=moment) | Q(pk__gt=pk)))
            batch = list(page[:batch_size])
            if not batch:
                break
            self.report.examined += len(batch)
            with transaction.atomic():
                for demand in batch:
                    self.handle(demand)
                notify_all([n for n in self.notices if n is not None])
                self.notices = []
            last = batch[-1]
            assert last.due_at is not None
            after = (last.due_at, last.pk)
            if len(batch) < batch_size:
                break
        return self.report

    def claim(self, demand: Demand, condition: dict[str, Any], **values: Any) -> bool:
        """Change the row only if it still is as read (same step, same deadline) and the
        condition holds: True when this process won it."""
        return (
            Demand.objects.filter(
                pk=demand.pk, status=demand.status, due_at=demand.due_at, **condition
            ).update(**values)
            == 1
        )

    def log(self, demand: Demand, verb: str, changes: dict[str, list[Any]]) -> None:
        record_event(
            by=None,
            verb=verb,
            target=demand,
            changes=changes,
            place_path=demand.place_path,
            at=self.now,
        )

    def handle(self, demand: Demand) -> None:
        now, due = self.now, demand.due_at
        assert due is not None
        cap = self.cap(demand)
        if (
            due >= now
            and demand.reminded_at is None
            and self.share > 0
            and cap is not None
            and remind_at(demand, share=self.share, cap=cap) <= now
            and self.claim(demand, {"reminded_at__isnull": True}, reminded_at=now)
        ):
            self.log(demand, "remind_demand", {"reminded_at": [None, _iso(now)]})
            self.notices.append(notices.reminder_notice(demand))
            self.report.reminded += 1
        if (
            due < now
            and demand.overdue_since is None
            and self.claim(demand, {"overdue_since__isnull": True}, overdue_since=due)
        ):
            self.log(demand, "mark_overdue", {"overdue_since": [None, _iso(due)]})
            self.report.overdue += 1
        level = escalation_level(due, now, self.hours, self.config.working_days)
        old = demand.escalation_level
        if level > old and self.claim(demand, {"escalation_level": old}, escalation_level=level):
            self.log(
                demand,
                "escalate_demand",
                {
                    "escalation_level": [old, level],
                    "escalated_to": [None, escalated_to(demand.place_path, level)],
                },
            )
            self.notices.append(notices.escalation_notice(demand, old, level))
            self.report.escalated += 1


def sweep(now: datetime | None = None, *, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Remind, mark overdue and escalate the open demands whose clocks call for it at
    `now` (default: the current time). Idempotent: a second sweep at the same `now` does
    nothing; safe to run from several processes at once (see the module's docstring)."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        now = timezone.make_aware(now)
    return _Sweeper(now).run(batch_size)
