"""The SLA sweep as a background task (demands.tasks.check_slas): the same effect as
`courtyard check_slas` on the immediate backend; queued on the database backend, run by
`courtyard db_worker`; `courtyard schedule_slas --once` enqueues one sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand
from courtyard.demands.tasks import check_slas

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)  # a Monday; streetlight: sign within 2 h
NOW = "2025-03-05T12:00:00+08:00"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
SWEPT = {"reminded": 1, "overdue": 2, "escalated": 2, "examined": 3}


@pytest.fixture
def demands(city: Any, personas: Any, catalogue: Any) -> list[Demand]:
    """Three demands dispatched 51, 27 and 1.5 hours before NOW: to sign within 2 h, so
    overdue by 49 h (escalated to the district), by 25 h (to the street), and one to remind
    (due 30 min after NOW)."""
    now = datetime.fromisoformat(NOW)
    made = []
    for hours_before in (51, 27, 1.5):
        at = now - hours_before * H
        demand = actions.submit_demand(
            by=personas.resident, channel="web", place=city.courtyard,
            category=catalogue.streetlight, description="胡同口路灯不亮三天了",
            requester=personas.resident, submitted_at=at - H,
        )  # fmt: skip
        made.append(actions.dispatch_demand(demand, by=personas.here, now=at))
    return made


def outcome() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The demands' clocks and the sweep's audit rows (without their ids)."""
    clocks = list(
        Demand.objects.order_by("pk").values_list(
            "pk", "due_at", "reminded_at", "overdue_since", "escalation_level"
        )
    )
    events = list(
        AuditEvent.objects.filter(verb__in=("remind_demand", "mark_overdue", "escalate_demand"))
        .order_by("pk")
        .values_list("verb", "actor", "target_id", "place_path", "changes", "created_at")
    )
    return clocks, events


def test_the_task_does_what_the_command_does(demands: list[Demand], settings: Any) -> None:
    with transaction.atomic():
        call_command("check_slas", "--now", NOW, "--quiet")
        by_command = outcome()
        transaction.set_rollback(True)
    assert outcome()[1] == []  # rolled back: the task starts from the same state
    settings.TASKS = IMMEDIATE

    result = check_slas.enqueue(now=NOW)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == SWEPT
    assert outcome() == by_command
    levels = [level for *_rest, level in by_command[0]]
    assert levels == [2, 1, 0]
    assert [verb for verb, *_rest in by_command[1]].count("escalate_demand") == 2
    assert len(by_command[1]) == 5


def test_a_second_run_changes_nothing(demands: list[Demand], settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    check_slas.enqueue(now=NOW)
    first = outcome()

    result = check_slas.enqueue(now=NOW)

    assert result.return_value == {"reminded": 0, "overdue": 0, "escalated": 0, "examined": 0}
    assert outcome() == first


def test_a_naive_moment_is_read_in_the_deployments_zone(
    demands: list[Demand], settings: Any
) -> None:
    settings.TASKS = IMMEDIATE
    settings.TIME_ZONE = "Asia/Shanghai"
    result = check_slas.enqueue(now="2025-03-05T12:00:00")
    assert result.return_value == SWEPT


# The worker closes stale connections between tasks: a test transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_the_database_backend_queues_the_sweep_for_the_worker(demands: list[Demand]) -> None:
    result = check_slas.enqueue(now=NOW)

    row = DBTaskResult.objects.get()
    assert (row.task_path, row.status) == ("courtyard.demands.tasks.check_slas", "READY")
    assert row.args_kwargs == {"args": [], "kwargs": {"now": NOW}}
    assert outcome()[1] == []  # nothing swept before a worker runs it

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert check_slas.get_result(result.id).return_value == SWEPT
    assert [level for *_rest, level in outcome()[0]] == [2, 1, 0]


def test_schedule_slas_once_enqueues_one_sweep() -> None:
    out = StringIO()
    call_command("schedule_slas", "--once", stdout=out)

    row = DBTaskResult.objects.get()
    assert row.task_path == "courtyard.demands.tasks.check_slas"
    assert row.args_kwargs == {"args": [], "kwargs": {}}
    assert str(row.id) in out.getvalue()


def test_schedule_slas_refuses_a_frantic_pace() -> None:
    with translation.override("en"), pytest.raises(CommandError, match="at least 5 seconds"):
        call_command("schedule_slas", "--every", "1", stdout=StringIO())
    assert not DBTaskResult.objects.exists()
