"""The SLA sweep (demands.sla, `courtyard check_slas`) with explicit moments before, at and
after each deadline: reminders, overdue marking, escalation; idempotent, once per demand
from two processes, a fresh clock for every step."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from courtyard.core.models import AuditEvent
from courtyard.demands import actions, sla
from courtyard.demands.models import Demand, DemandTally, Dispatch, FeedbackClass, ServiceCategory
from courtyard.demands.sla import SweepReport, sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def local(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """A moment in 2025, Shanghai time: 3 March is a Monday, 7 March a Friday."""
    return datetime(2025, month, day, hour, minute, second, tzinfo=SHANGHAI)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


D = local(3, 9, 30)  # dispatched (general class: sign by 11:30, contact by Tue 09:30)
SIGN_DUE = D + 2 * H
RESPONSE_DUE = D + 24 * H
FEEDBACK_DUE = D + 7 * 24 * H


@pytest.fixture(autouse=True)
def english_in_shanghai(settings):  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("en"):
        yield


@pytest.fixture
def raise_demand(city, personas, catalogue):  # type: ignore[no-untyped-def]
    """raise_demand(category=…, at=…) → a demand dispatched at `at` (default D)."""

    def make(category: ServiceCategory | None = None, at: datetime = D) -> Demand:
        demand = actions.submit_demand(
            by=personas.resident,
            channel="web",
            place=city.courtyard,
            category=category or catalogue.streetlight,
            description="胡同口路灯不亮三天了",
            requester=personas.resident,
            submitted_at=at - H,
        )
        return actions.dispatch_demand(demand, by=personas.here, now=at)

    return make


def fresh(demand: Demand) -> Demand:
    return Demand.objects.get(pk=demand.pk)


def clock(demand: Demand) -> tuple[Any, ...]:
    row = fresh(demand)
    return (row.due_at, row.reminded_at, row.overdue_since, row.escalation_level)


def sla_events(demand: Demand) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e.verb, e.changes)
        for e in AuditEvent.objects.for_object(demand).order_by("pk")
        if e.verb in ("remind_demand", "mark_overdue", "escalate_demand")
    ]


def trace() -> tuple[list[dict[str, Any]], ...]:
    return (
        list(Demand.objects.order_by("pk").values()),
        list(Dispatch.objects.order_by("pk").values()),
        list(DemandTally.objects.order_by("pk").values()),
        list(AuditEvent.objects.order_by("pk").values("pk")),
    )


def report(reminded: int = 0, overdue: int = 0, escalated: int = 0, examined: int = 0):
    return SweepReport(reminded=reminded, overdue=overdue, escalated=escalated, examined=examined)


# --- reminders ---------------------------------------------------------------------------


def test_no_reminder_before_the_last_quarter_of_the_signing_step(raise_demand):
    demand = raise_demand()
    before = trace()
    assert sweep(SIGN_DUE - timedelta(minutes=30) - US) == report()  # not even read
    assert trace() == before
    assert clock(demand) == (SIGN_DUE, None, None, 0)


def test_a_reminder_when_a_quarter_of_the_signing_step_is_left(raise_demand, city):
    demand = raise_demand()
    at = SIGN_DUE - timedelta(minutes=30)  # 2 h step: a reminder 30 min before

    assert sweep(at) == report(reminded=1, examined=1)

    assert clock(demand) == (SIGN_DUE, at, None, 0)
    assert sla_events(demand) == [("remind_demand", {"reminded_at": [None, iso(at)]})]
    event = AuditEvent.objects.get(verb="remind_demand")
    assert (event.actor, event.place_path) == (None, city.courtyard.path)


def test_a_reminder_at_the_deadline_itself_if_none_went_out_yet(raise_demand):
    demand = raise_demand()
    assert sweep(SIGN_DUE) == report(reminded=1, examined=1)
    assert clock(demand) == (SIGN_DUE, SIGN_DUE, None, 0)


def test_the_reminder_goes_out_once(raise_demand):
    demand = raise_demand()
    sweep(SIGN_DUE - timedelta(minutes=30))
    before = trace()
    assert sweep(SIGN_DUE - timedelta(minutes=10)) == report()  # reminded: no longer a candidate
    assert sweep(SIGN_DUE) == report()
    assert trace() == before
    assert [verb for verb, _ in sla_events(demand)] == ["remind_demand"]


def test_the_contact_step_is_measured_from_the_signing(raise_demand, personas):
    demand = raise_demand()
    actions.sign_demand(demand, by=personas.handler, now=local(3, 10))
    # 10:00 → Tue 09:30 is 23.5 h; a quarter of it is 5 h 52 min 30 s.
    remind = RESPONSE_DUE - timedelta(hours=5, minutes=52, seconds=30)
    assert remind == local(4, 3, 37, 30)

    assert sweep(remind - US) == report(examined=1)
    assert clock(demand) == (RESPONSE_DUE, None, None, 0)
    assert sweep(remind) == report(reminded=1, examined=1)
    assert clock(demand) == (RESPONSE_DUE, remind, None, 0)


def test_the_reply_step_is_measured_from_the_first_contact(raise_demand, personas):
    demand = raise_demand()
    actions.sign_demand(demand, by=personas.handler, now=local(3, 10))
    actions.contact_requester(demand, by=personas.handler, now=local(3, 11))
    # 11:00 → 10 March 09:30 is 166.5 h; a quarter is 41 h 37 min 30 s.
    remind = local(8, 15, 52, 30)
    assert FEEDBACK_DUE - remind == timedelta(hours=41, minutes=37, seconds=30)

    assert sweep(remind - US).reminded == 0
    assert sweep(remind) == report(reminded=1, examined=1)
    assert clock(demand) == (FEEDBACK_DUE, remind, None, 0)


def test_the_share_left_for_a_reminder_is_configured(raise_demand, settings):
    settings.DEMANDS = {"REMIND_AT_SHARE_LEFT": "0.5"}
    demand = raise_demand()
    assert sweep(local(3, 10, 29, 59)) == report()
    assert sweep(local(3, 10, 30)) == report(reminded=1, examined=1)
    assert clock(demand)[1] == local(3, 10, 30)


def test_a_share_of_zero_turns_reminders_off(raise_demand, settings):
    settings.DEMANDS = {"REMIND_AT_SHARE_LEFT": "0"}
    demand = raise_demand()
    assert sweep(SIGN_DUE) == report()
    assert sweep(SIGN_DUE + US) == report(overdue=1, examined=1)
    assert clock(demand) == (SIGN_DUE, None, SIGN_DUE, 0)


def test_a_deadline_pushed_far_out_is_reminded_as_long_before_as_the_usual_one(
    raise_demand, personas
):
    demand = raise_demand()
    actions.sign_demand(demand, by=personas.handler, now=local(3, 10))
    actions.contact_requester(demand, by=personas.handler, now=local(3, 11))
    until = local(2, 18, month=5)
    actions.request_extension(demand, by=personas.handler, until=until, reason="需协调多部门")
    actions.decide_extension(demand, by=personas.above, approve=True)
    # The general class's reply step is 7 days: a quarter of it is 42 h.
    remind = until - 42 * H

    assert sweep(remind - US) == report()  # not even read: outside the range swept
    assert sweep(remind) == report(reminded=1, examined=1)
    assert clock(demand) == (until, remind, None, 0)


# --- overdue -----------------------------------------------------------------------------


def test_at_the_deadline_a_demand_is_not_overdue_yet(raise_demand):
    demand = raise_demand()
    sweep(SIGN_DUE - timedelta(minutes=30))
    assert sweep(SIGN_DUE) == report()
    assert clock(demand)[2] is None


def test_after_the_deadline_a_demand_is_marked_overdue_since_the_deadline(raise_demand, city):
    demand = raise_demand()
    sweep(SIGN_DUE - timedelta(minutes=30))

    assert sweep(SIGN_DUE + US) == report(overdue=1, examined=1)

    assert clock(demand) == (SIGN_DUE, SIGN_DUE - timedelta(minutes=30), SIGN_DUE, 0)
    assert sla_events(demand)[-1] == ("mark_overdue", {"overdue_since": [None, iso(SIGN_DUE)]})
    assert AuditEvent.objects.get(verb="mark_overdue").place_path == city.courtyard.path
    assert list(Demand.objects.overdue(SIGN_DUE + US)) == [fresh(demand)]


def test_a_sweep_that_comes_late_marks_overdue_without_a_reminder(raise_demand):
    demand = raise_demand()
    assert sweep(SIGN_DUE + H) == report(overdue=1, examined=1)
    assert clock(demand) == (SIGN_DUE, None, SIGN_DUE, 0)
    assert [verb for verb, _ in sla_events(demand)] == ["mark_overdue"]


# --- escalation --------------------------------------------------------------------------


def test_escalation_goes_to_the_street_after_24_hours_overdue(raise_demand, city, personas):
    demand = raise_demand()
    sweep(SIGN_DUE + US)

    assert sweep(SIGN_DUE + 24 * H) == report()  # exactly 24 h: not yet
    assert clock(demand)[3] == 0
    assert sweep(SIGN_DUE + 24 * H + US) == report(escalated=1, examined=1)

    assert clock(demand) == (SIGN_DUE, None, SIGN_DUE, 1)
    assert sla_events(demand)[-1] == (
        "escalate_demand",
        {"escalation_level": [0, 1], "escalated_to": [None, city.street.pk]},
    )
    # The street and the district see it in their history; the sibling community does not.
    event = AuditEvent.objects.get(verb="escalate_demand")
    assert event in AuditEvent.objects.visible_to(personas.above)
    assert event not in AuditEvent.objects.visible_to(personas.sibling)


def test_escalation_goes_to_the_district_after_another_24_hours(raise_demand, city):
    demand = raise_demand()
    sweep(SIGN_DUE + 24 * H + US)

    assert sweep(SIGN_DUE + 48 * H) == report()
    assert sweep(SIGN_DUE + 48 * H + US) == report(escalated=1, examined=1)

    assert clock(demand)[3] == 2
    assert sla_events(demand)[-1] == (
        "escalate_demand",
        {"escalation_level": [1, 2], "escalated_to": [None, city.district.pk]},
    )
    # The district is the top: nothing more, and the demand is no longer read.
    assert sweep(SIGN_DUE + 30 * 24 * H) == report()


def test_a_sweep_that_comes_very_late_escalates_straight_to_the_district(raise_demand, city):
    demand = raise_demand()
    assert sweep(SIGN_DUE + 72 * H) == report(overdue=1, escalated=1, examined=1)
    assert clock(demand) == (SIGN_DUE, None, SIGN_DUE, 2)
    assert sla_events(demand) == [
        ("mark_overdue", {"overdue_since": [None, iso(SIGN_DUE)]}),
        ("escalate_demand", {"escalation_level": [0, 2], "escalated_to": [None, city.district.pk]}),
    ]


def test_escalation_thresholds_are_configured(raise_demand, settings, city):
    settings.DEMANDS = {"ESCALATION_HOURS": [2]}
    demand = raise_demand()
    assert sweep(SIGN_DUE + 2 * H) == report(overdue=1, examined=1)
    assert sweep(SIGN_DUE + 2 * H + US) == report(escalated=1, examined=1)
    assert sweep(SIGN_DUE + 100 * H) == report()
    assert clock(demand)[3] == 1


@pytest.mark.parametrize("hours", [[48, 24], [0], [24, 24]])
def test_bad_escalation_thresholds_are_refused(settings, hours):
    settings.DEMANDS = {"ESCALATION_HOURS": hours}
    with pytest.raises(ValueError):
        sla.escalation_hours()


def test_with_working_days_the_weekend_does_not_count_towards_escalation(
    raise_demand, settings, catalogue
):
    settings.DEMANDS = {"WORKING_DAYS": True}
    demand = raise_demand(catalogue.water, at=local(7, 15))  # Friday: sign by 17:00
    due = local(7, 17)
    assert clock(demand)[0] == due
    assert sweep(local(9, 23)) == report(overdue=1, examined=1)  # Sunday night
    assert clock(demand)[3] == 0
    assert sweep(local(10, 17)) == report(examined=1)  # Monday 17:00: 24 working hours
    assert sweep(local(10, 17, 0, 1)) == report(escalated=1, examined=1)


def test_with_working_days_the_reminder_horizon_still_reaches_every_step(
    raise_demand, settings, personas
):
    settings.DEMANDS = {"WORKING_DAYS": True}
    demand = raise_demand(at=local(7, 9))  # Friday: general reply by 18 March (Tuesday)
    actions.sign_demand(demand, by=personas.handler, now=local(7, 10))
    actions.contact_requester(demand, by=personas.handler, now=local(7, 11))
    due = fresh(demand).due_at
    assert due == local(18, 9)
    # 7 March 11:00 → 18 March 09:00 is 262 h of calendar time; a quarter is 65.5 h.
    remind = due - timedelta(hours=65, minutes=30)
    assert sweep(remind - US).reminded == 0
    assert sweep(remind) == report(reminded=1, examined=1)


# --- a fresh clock for every step ----------------------------------------------------------


def test_signing_gives_a_fresh_clock_for_the_contact(raise_demand, personas):
    demand = raise_demand()
    sweep(SIGN_DUE - timedelta(minutes=30))
    sweep(SIGN_DUE + 24 * H + US)
    assert clock(demand) == (SIGN_DUE, SIGN_DUE - timedelta(minutes=30), SIGN_DUE, 1)
    signed = SIGN_DUE + 24 * H + timedelta(minutes=5)  # Tue 11:35: after the contact deadline

    actions.sign_demand(demand, by=personas.handler, now=signed)

    # The contact deadline (Tue 09:30) has already passed: overdue at once, level kept.
    assert clock(demand) == (RESPONSE_DUE, None, None, 1)
    assert sweep(signed) == report(overdue=1, examined=1)
    assert clock(demand) == (RESPONSE_DUE, None, RESPONSE_DUE, 1)
    assert sweep(RESPONSE_DUE + 48 * H + US) == report(escalated=1, examined=1)
    assert clock(demand)[3] == 2


def test_each_step_gets_its_own_reminder_and_overdue_mark(raise_demand, personas):
    demand = raise_demand()
    sweep(SIGN_DUE + US)  # signing overdue
    actions.sign_demand(demand, by=personas.handler, now=SIGN_DUE + H)
    assert clock(demand) == (RESPONSE_DUE, None, None, 0)
    sweep(RESPONSE_DUE)  # the contact step's reminder
    actions.contact_requester(demand, by=personas.handler, now=RESPONSE_DUE)
    assert clock(demand) == (FEEDBACK_DUE, None, None, 0)
    sweep(FEEDBACK_DUE + US)
    actions.reply_demand(demand, by=personas.handler, reply="已处理", now=FEEDBACK_DUE + H)
    assert clock(demand) == (None, None, None, 0)
    assert [verb for verb, _ in sla_events(demand)] == [
        "mark_overdue",
        "remind_demand",
        "mark_overdue",
    ]
    assert sweep(FEEDBACK_DUE + 100 * H) == report()


def test_a_new_dispatch_resets_the_escalation(raise_demand, personas, city, settings):
    settings.DEMANDS = {"RETURN_HOURS": 48}
    demand = raise_demand()
    sweep(SIGN_DUE + 24 * H + US)
    actions.return_demand(demand, by=personas.handler, reason="不属于本单位", now=SIGN_DUE + 24 * H)
    again = local(5, 9)
    actions.dispatch_demand(demand, by=personas.here, organization=city.unit, now=again)
    assert clock(demand) == (again + 2 * H, None, None, 0)


def test_a_returned_demand_keeps_no_stale_reminder_or_overdue_mark(raise_demand, personas):
    demand = raise_demand()
    sweep(SIGN_DUE - timedelta(minutes=30))
    sweep(SIGN_DUE + US)
    actions.return_demand(demand, by=personas.handler, reason="不属于本单位", now=SIGN_DUE + H)
    assert clock(demand) == (None, None, None, 0)


def test_an_action_between_reading_and_claiming_wins(raise_demand, personas):
    demand = raise_demand()
    stale = fresh(demand)  # as the sweep read it: still waiting to be signed for
    actions.sign_demand(demand, by=personas.handler, now=SIGN_DUE - H)
    sweeper = sla._Sweeper(SIGN_DUE + US)

    sweeper.handle(stale)

    assert sweeper.report == report()
    assert clock(demand) == (RESPONSE_DUE, None, None, 0)
    assert sla_events(demand) == []


# --- what is swept -------------------------------------------------------------------------


def test_a_second_sweep_at_the_same_moment_changes_nothing(raise_demand, catalogue):
    emergency = ServiceCategory.objects.create(
        service_code="gas-leak", name="燃气泄漏", feedback_class=FeedbackClass.EMERGENCY
    )
    due_soon = raise_demand()
    overdue = raise_demand(at=D - 3 * H)
    escalated = raise_demand(at=D - 30 * H)
    urgent = raise_demand(emergency, at=local(3, 9, 20))  # to the district's fallback
    at = local(3, 11, 15)

    assert sweep(at) == report(reminded=2, overdue=2, escalated=1, examined=4)
    before = trace()
    assert sweep(at) == report()
    assert trace() == before
    assert [clock(d)[1:] for d in (due_soon, overdue, escalated, urgent)] == [
        (at, None, 0),
        (None, D - H, 0),
        (None, D - 28 * H, 1),
        (at, None, 0),
    ]


def test_only_open_demands_with_a_deadline_are_swept(raise_demand, personas):
    replied = raise_demand()
    actions.sign_demand(replied, by=personas.handler, now=D)
    actions.contact_requester(replied, by=personas.handler, now=D)
    actions.reply_demand(replied, by=personas.handler, reply="已处理", now=D)
    closed = raise_demand()
    Demand.objects.filter(pk=closed.pk).update(status="closed")  # a stray deadline left on it
    before = trace()
    assert sweep(D + 1000 * H) == report()
    assert trace() == before


def test_the_sweep_works_in_batches(raise_demand):
    demands = [raise_demand(at=D - n * H) for n in range(5)]
    assert sweep(D + 3 * H, batch_size=2) == report(overdue=5, examined=5)
    assert {clock(d)[2] for d in demands} == {D + 2 * H - n * H for n in range(5)}


@pytest.mark.parametrize("size", [3, 12])
def test_an_idle_sweep_costs_one_query_whatever_the_number_of_demands(
    raise_demand, django_assert_num_queries, size
):
    for n in range(size):
        raise_demand(at=D + n * timedelta(minutes=1))
    with django_assert_num_queries(1):
        assert sweep(D) == report()  # nothing is in its last quarter yet


def test_demands_due_beyond_the_reminder_horizon_are_not_read(raise_demand, personas):
    demand = raise_demand()
    actions.sign_demand(demand, by=personas.handler, now=D)
    actions.contact_requester(demand, by=personas.handler, now=D)  # due in 7 days
    assert sweep(D) == report()  # the general reply step is read from 42 h before its end
    assert sweep(FEEDBACK_DUE - 42 * H - US) == report()
    assert sweep(FEEDBACK_DUE - 43 * H) == report()


# --- from several processes at once --------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_act_once_per_demand(raise_demand):
    minute = timedelta(minutes=1)
    at = D + 2 * H  # signing was due by D + 2 h
    overdue = [raise_demand(at=D - (n + 1) * minute) for n in range(12)]
    reminded = [raise_demand(at=D + (n + 1) * minute) for n in range(6)]  # in the last 30 min
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result: object = sweep(at, batch_size=5)
        except Exception as exc:  # recorded and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 2
    reports = [o for o in outcomes if isinstance(o, SweepReport)]
    assert len(reports) == 2, outcomes
    assert sum(r.overdue for r in reports) == 12
    assert sum(r.reminded for r in reports) == 6
    assert AuditEvent.objects.filter(verb="mark_overdue").count() == 12
    assert AuditEvent.objects.filter(verb="remind_demand").count() == 6
    for demand in overdue:
        assert [verb for verb, _ in sla_events(demand)] == ["mark_overdue"]
    for demand in reminded:
        assert [verb for verb, _ in sla_events(demand)] == ["remind_demand"]


# --- the command -----------------------------------------------------------------------------


def test_check_slas_sweeps_as_of_the_given_moment(raise_demand):
    demand = raise_demand()
    out = StringIO()
    call_command("check_slas", "--now", "2025-03-03T11:30:00.000001+08:00", stdout=out)
    assert out.getvalue() == (
        "Reminded: 0, marked overdue: 1, escalated: 0 (demands examined: 1).\n"
    )
    assert clock(demand)[2] == SIGN_DUE


def test_check_slas_reads_a_moment_without_offset_in_local_time(raise_demand):
    demand = raise_demand()
    call_command("check_slas", "--now", "2025-03-03T11:00", stdout=StringIO())
    assert clock(demand)[1] == SIGN_DUE - timedelta(minutes=30)


def test_check_slas_quiet_prints_nothing(raise_demand):
    raise_demand()
    out = StringIO()
    call_command("check_slas", "--now", "2025-03-03T11:00+08:00", "--quiet", stdout=out)
    assert out.getvalue() == ""
    assert AuditEvent.objects.filter(verb="remind_demand").count() == 1


def test_check_slas_without_a_moment_sweeps_now(raise_demand):
    raise_demand()  # in March 2025: long overdue and escalated by now
    out = StringIO()
    call_command("check_slas", stdout=out)
    assert out.getvalue() == (
        "Reminded: 0, marked overdue: 1, escalated: 1 (demands examined: 1).\n"
    )


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01T00:00", ""])
def test_check_slas_refuses_a_moment_it_cannot_read(db, value):
    with pytest.raises(CommandError, match="--now takes an ISO 8601 date and time"):
        call_command("check_slas", "--now", value)
