"""The demand lifecycle: every transition of models.TRANSITIONS from every status it may
start from, every refused one (a Conflict that leaves no trace), the clocks each step
stamps, routing, the return window, extensions, reopening, idempotent intake, bad input,
merging, and two handlers signing at once."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import translation

from conftest import City, Personas
from courtyard.core.errors import BadInput, Conflict
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import (
    TRANSITIONS,
    Demand,
    DemandTally,
    Dispatch,
    FeedbackClass,
    Responsibility,
    ServiceCategory,
    Status,
)
from courtyard.demands.tests.conftest import Catalogue
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.places.actions import create_place
from courtyard.places.models import PlaceKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def local(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    """A moment in 2025, Shanghai time: 3 March is a Monday, 7 March a Friday."""
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


# The moments of the standard journey (a Monday morning).
SUBMITTED_AT = local(3, 9)
ACCEPTED_AT = local(3, 9, 10)
DISPATCHED_AT = local(3, 9, 30)
SIGNED_AT = local(3, 10)
CONTACTED_AT = local(3, 11)
REPLIED_AT = local(5, 15)
EVALUATED_AT = local(6, 10)
LATER = local(3, 12)  # when refused actions are tried
MARCH = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def english_in_shanghai(settings):  # type: ignore[no-untyped-def]
    """Messages are asserted word for word in English; months are Shanghai's."""
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("en"):
        yield


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    primary: Demand  # a submitted demand to merge duplicates into


@pytest.fixture
def world(city: City, personas: Personas, catalogue: Catalogue) -> World:
    primary = actions.submit_demand(
        by=personas.here,
        channel="phone",
        place=city.courtyard,
        category=catalogue.streetlight,
        description="草厂三条路灯坏了",
        requester_name="王先生",
        requester_phone="13900000000",
        submitted_at=local(3, 8),
    )
    return World(city, personas, catalogue, primary)


def submit(w: World, **fields: Any) -> Demand:
    values: dict[str, Any] = {
        "by": w.personas.resident,
        "channel": "web",
        "place": w.city.courtyard,
        "category": w.catalogue.streetlight,
        "description": "胡同口路灯不亮三天了",
        "requester": w.personas.resident,
        "submitted_at": SUBMITTED_AT,
    }
    values.update(fields)
    return actions.submit_demand(**values)


def bring_to(w: World, status: str, **fields: Any) -> Demand:
    """A demand brought to `status` through the actions, at the standard moments."""
    p = w.personas
    demand = submit(w, **fields)
    if status == Status.SUBMITTED:
        return demand
    if status == Status.ANSWERED:
        return actions.answer_demand(demand, by=p.here, answer="请拨打95598", now=ACCEPTED_AT)
    if status == Status.DECLINED:
        return actions.decline_demand(demand, by=p.here, reason="属于法院管辖", now=ACCEPTED_AT)
    if status == Status.MERGED:
        return actions.merge_demand(demand, by=p.here, primary=w.primary)
    demand = actions.accept_demand(demand, by=p.here, now=ACCEPTED_AT)
    if status == Status.ACCEPTED:
        return demand
    demand = actions.dispatch_demand(demand, by=p.here, now=DISPATCHED_AT)
    if status == Status.DISPATCHED:
        return demand
    demand = actions.sign_demand(demand, by=p.handler, now=SIGNED_AT)
    if status == Status.SIGNED:
        return demand
    demand = actions.contact_requester(demand, by=p.handler, now=CONTACTED_AT)
    if status == Status.CONTACTED:
        return demand
    demand = actions.reply_demand(demand, by=p.handler, reply="已更换灯泡", now=REPLIED_AT)
    if status == Status.REPLIED:
        return demand
    assert status == Status.CLOSED
    return actions.evaluate_demand(
        demand, by=p.resident, resolved=True, satisfaction="satisfied", now=EVALUATED_AT
    )


def call(action: str, demand: Demand, w: World, now: datetime = LATER) -> Demand:
    """`action` on `demand` with valid arguments."""
    p = w.personas
    calls = {
        "accept_demand": lambda: actions.accept_demand(demand, by=p.here, now=now),
        "answer_demand": lambda: actions.answer_demand(
            demand, by=p.here, answer="请拨打95598", now=now
        ),
        "decline_demand": lambda: actions.decline_demand(
            demand, by=p.here, reason="属于法院管辖", now=now
        ),
        "merge_demand": lambda: actions.merge_demand(demand, by=p.here, primary=w.primary),
        "dispatch_demand": lambda: actions.dispatch_demand(demand, by=p.here, now=now),
        "return_demand": lambda: actions.return_demand(
            demand, by=p.handler, reason="不属于本单位", now=now
        ),
        "sign_demand": lambda: actions.sign_demand(demand, by=p.handler, now=now),
        "contact_requester": lambda: actions.contact_requester(
            demand, by=p.handler, note="已电话联系", now=now
        ),
        "reply_demand": lambda: actions.reply_demand(
            demand, by=p.handler, reply="已更换灯泡", now=now
        ),
        "evaluate_demand": lambda: actions.evaluate_demand(
            demand, by=p.resident, resolved=True, satisfaction="satisfied", now=now
        ),
        "reopen_demand": lambda: actions.reopen_demand(
            demand, by=p.resident, reason="灯又不亮了", now=now
        ),
        "close_demand": lambda: actions.close_demand(demand, by=p.here, now=now),
    }
    return calls[action]()


def trace() -> tuple[list[dict[str, Any]], ...]:
    """Everything an action may write: demands, dispatches, tallies, audit rows."""
    return (
        list(Demand.objects.order_by("pk").values()),
        list(Dispatch.objects.order_by("pk").values()),
        list(DemandTally.objects.order_by("pk").values()),
        list(AuditEvent.objects.order_by("pk").values("pk")),
    )


def counts(*, organization: Organization | None = None, place: Any = None, month: date = MARCH):
    """(dispatched, responded in time, evaluated, resolved, satisfied, basic, unsatisfied)."""
    row = DemandTally.objects.filter(month=month, organization=organization, place=place).first()
    if row is None:
        return None
    return (
        row.dispatched,
        row.responded_in_time,
        row.evaluated,
        row.resolved,
        row.satisfied,
        row.basically_satisfied,
        row.unsatisfied,
    )


def iso(moment: datetime) -> str:
    """How the audit trail writes a moment read back from the database (UTC)."""
    return moment.astimezone(UTC).isoformat()


def events(demand: Demand) -> list[tuple[str, dict[str, Any]]]:
    """(verb, changes) of the demand's audit rows, oldest first."""
    return [(e.verb, e.changes) for e in AuditEvent.objects.for_object(demand).order_by("pk")]


def category(w: World, code: str, feedback_class: str, **fields: Any) -> ServiceCategory:
    """A public-works category (routed to the department), with `feedback_class`."""
    return ServiceCategory.objects.create(
        parent=w.catalogue.streetlight.parent,
        service_code=code,
        name=code,
        feedback_class=feedback_class,
        **fields,
    )


def unit(w: World, name: str, place: Any = None) -> Organization:
    return org_actions.create_organization(
        by=None,
        name=name,
        kind=OrganizationKind.GOVERNMENT_DEPARTMENT,
        place=place or w.city.district,
    )


# --- the table itself --------------------------------------------------------------------

ALLOWED = [
    (action, status)
    for action, (starts, _target) in TRANSITIONS.items()
    for status in sorted(starts)
]
REFUSED = [
    (action, status)
    for action, (starts, _target) in TRANSITIONS.items()
    for status in Status.values
    if status not in starts
]


def test_every_transition_has_its_action_and_the_table_is_complete():
    assert all(callable(getattr(actions, action, None)) for action in TRANSITIONS)
    assert len(ALLOWED) == 18
    assert len(ALLOWED) + len(REFUSED) == len(TRANSITIONS) * len(Status.values)


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=[f"{a}<-{s}" for a, s in ALLOWED])
def test_each_allowed_transition_moves_the_demand_and_writes_one_event(world, action, status):
    demand = bring_to(world, status)
    before = AuditEvent.objects.count()

    moved = call(action, demand, world)

    target = TRANSITIONS[action][1]
    assert moved.status == target
    assert Demand.objects.get(pk=demand.pk).status == target
    assert AuditEvent.objects.count() == before + 1
    verb, changes = events(demand)[-1]
    assert verb == action
    assert changes["status"] == [status, target]


@pytest.mark.parametrize(("action", "status"), REFUSED, ids=[f"{a}<-{s}" for a, s in REFUSED])
def test_each_refused_transition_is_a_conflict_that_leaves_no_trace(world, action, status):
    demand = bring_to(world, status)
    before = trace()

    with pytest.raises(Conflict) as refused:
        call(action, demand, world)

    assert refused.value.message == (
        f"This demand is {Status(status).label}: that step is not possible now."
    )
    assert trace() == before


# --- intake ------------------------------------------------------------------------------


def test_a_resident_raises_a_demand_with_their_own_name_and_phone(world):
    w = world
    demand = submit(w, latitude="39.8951234567", longitude=116.4, address="草厂三条12号院门口")

    demand.refresh_from_db()
    assert demand.status == Status.SUBMITTED
    assert demand.channel == "web"
    assert demand.place == w.city.courtyard
    assert demand.place_path == w.city.courtyard.path
    assert demand.feedback_class == FeedbackClass.GENERAL
    assert demand.public_summary == "路灯不亮 · 草厂三条12号院"
    assert demand.requester == w.personas.resident
    assert (demand.requester_name, demand.requester_phone) == ("王秀兰", "13800138000")
    assert demand.recorded_by == w.personas.resident
    assert (demand.latitude, demand.longitude) == (Decimal("39.895123"), Decimal("116.400000"))
    assert demand.submitted_at == SUBMITTED_AT
    assert demand.due_at is None
    assert demand.sign_due_at is demand.response_due_at is demand.feedback_due_at is None
    assert demand.assignee is None
    assert events(demand) == [
        ("submit_demand", {"status": [None, "submitted"], "channel": [None, "web"]})
    ]
    assert AuditEvent.objects.for_object(demand).get().place_path == w.city.courtyard.path


def test_staff_record_a_phone_demand_on_behalf_of_someone(world):
    w = world
    demand = submit(
        w,
        by=w.personas.here,
        channel="phone",
        requester=None,
        requester_name="王先生",
        requester_phone="13900000000",
    )
    assert (demand.requester, demand.recorded_by) == (None, w.personas.here)
    assert (demand.requester_name, demand.requester_phone) == ("王先生", "13900000000")


def test_a_retried_submission_with_the_same_idempotency_key_returns_the_first(world):
    first = submit(world, idempotency_key="c0ffee-1")
    again = submit(world, idempotency_key="c0ffee-1", description="重复提交")

    assert again.pk == first.pk
    assert again.description == "胡同口路灯不亮三天了"
    assert Demand.objects.filter(idempotency_key="c0ffee-1").count() == 1
    assert [verb for verb, _ in events(first)] == ["submit_demand"]


def test_an_imported_hotline_order_is_taken_once_by_its_external_id(world):
    first = submit(world, channel="hotline", external_id="BJ12345-2025-000001")
    before = trace()
    again = submit(world, channel="hotline", external_id="BJ12345-2025-000001")

    assert again.pk == first.pk
    assert trace() == before


@pytest.fixture
def asks_for_the_pole(world: World) -> ServiceCategory:
    return category(
        world,
        "streetlight-pole",
        FeedbackClass.GENERAL,
        attributes=[
            {"code": "pole", "datatype": "string", "required": True, "description": "灯杆编号"}
        ],
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"description": ""}, "description", "This cannot be empty."),
        ({"description": "   \n "}, "description", "This cannot be empty."),
        ({"description": "灯" * 100_000}, "description", "This is longer than 5000 characters."),
        (
            {"description": "灯\x00不亮"},
            "description",
            "This text contains a character that is not allowed.",
        ),
        ({"channel": "fax"}, "channel", "Unknown channel: fax."),
        ({"latitude": 91}, "lat", "This latitude or longitude is out of range."),
        ({"latitude": "-90.000001"}, "lat", "This latitude or longitude is out of range."),
        ({"longitude": "180.5"}, "long", "This latitude or longitude is out of range."),
        ({"latitude": "north"}, "lat", "Give the position as decimal degrees."),
        ({"latitude": "NaN"}, "lat", "This latitude or longitude is out of range."),
        ({"address": "院" * 301}, "address", "This is longer than 300 characters."),
    ],
    ids=[
        "empty",
        "blank",
        "100000-chars",
        "nul",
        "unknown-channel",
        "latitude-91",
        "latitude-below-90",
        "longitude-180.5",
        "latitude-words",
        "latitude-nan",
        "long-address",
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(world, fields, field, message):
    before = trace()
    with pytest.raises(BadInput) as refused:
        submit(world, idempotency_key="bad-1", **fields)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert trace() == before


def test_an_inactive_category_is_refused(world):
    world.catalogue.streetlight.is_active = False
    world.catalogue.streetlight.save()
    before = trace()
    with pytest.raises(BadInput) as refused:
        submit(world)
    assert refused.value.field == "category"
    assert refused.value.message == "This service category is no longer in use."
    assert trace() == before


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (None, "Please answer: 灯杆编号"),
        ({"other": "x"}, "Please answer: 灯杆编号"),
        ({"pole": ""}, "Please answer: 灯杆编号"),
        ({"pole": "  "}, "This cannot be empty."),
    ],
    ids=["no-answers", "not-this-one", "empty", "blank"],
)
def test_a_missing_required_answer_is_refused(world, asks_for_the_pole, answers, message):
    before = trace()
    with pytest.raises(BadInput) as refused:
        submit(world, category=asks_for_the_pole, attributes=answers)
    assert (refused.value.field, refused.value.message) == ("attribute[pole]", message)
    assert trace() == before


def test_the_answers_to_the_extra_questions_are_kept(world, asks_for_the_pole):
    demand = submit(world, category=asks_for_the_pole, attributes={"pole": " QM-0412 ", "x": "1"})
    assert Demand.objects.get(pk=demand.pk).attributes == {"pole": "QM-0412"}


# --- triage ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [Status.SUBMITTED, Status.ACCEPTED])
def test_answering_a_consultation_closes_it_without_a_clock(world, start):
    demand = bring_to(world, start)
    answered = actions.answer_demand(
        demand, by=world.personas.here, answer=" 请拨打95598 ", now=LATER
    )
    answered.refresh_from_db()
    assert answered.status == Status.ANSWERED
    assert (answered.answer, answered.closed_at, answered.due_at) == ("请拨打95598", LATER, None)
    assert events(demand)[-1] == (
        "answer_demand",
        {"status": [start, "answered"], "note": [None, "请拨打95598"]},
    )


def test_accepting_stamps_accepted_at_and_sets_no_clock(world):
    demand = actions.accept_demand(submit(world), by=world.personas.here, now=ACCEPTED_AT)
    demand.refresh_from_db()
    assert (demand.status, demand.accepted_at, demand.due_at) == ("accepted", ACCEPTED_AT, None)


@pytest.mark.parametrize("start", [Status.SUBMITTED, Status.ACCEPTED])
def test_declining_keeps_the_reason_for_the_requester(world, start):
    demand = bring_to(world, start)
    declined = actions.decline_demand(
        demand, by=world.personas.here, reason="属于法院管辖", now=LATER
    )
    declined.refresh_from_db()
    assert (declined.status, declined.decline_reason, declined.closed_at) == (
        "declined",
        "属于法院管辖",
        LATER,
    )


@pytest.mark.parametrize(
    "action", ["answer_demand", "decline_demand", "reopen_demand", "return_demand"]
)
def test_a_step_that_needs_a_text_refuses_an_empty_one(world, action):
    start = {"reopen_demand": Status.REPLIED, "return_demand": Status.DISPATCHED}.get(
        action, Status.SUBMITTED
    )
    demand = bring_to(world, start)
    before = trace()
    text_argument = {"answer_demand": "answer"}.get(action, "reason")
    by = world.personas.here
    with pytest.raises(BadInput) as refused:
        getattr(actions, action)(demand, by=by, now=LATER, **{text_argument: "  "})
    assert (refused.value.field, refused.value.message) == (text_argument, "This cannot be empty.")
    assert trace() == before


# --- merging -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", [Status.SUBMITTED, Status.ACCEPTED])
def test_a_duplicate_merged_into_its_primary_follows_it(world, start):
    demand = bring_to(world, start)
    merged = actions.merge_demand(demand, by=world.personas.here, primary=world.primary)
    merged.refresh_from_db()
    assert (merged.status, merged.primary, merged.due_at) == ("merged", world.primary, None)
    assert list(world.primary.duplicates.all()) == [merged]
    assert events(demand)[-1] == (
        "merge_demand",
        {"status": [start, "merged"], "primary": [None, world.primary.pk]},
    )


def test_a_demand_cannot_be_merged_into_itself(world):
    demand = submit(world)
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.merge_demand(demand, by=world.personas.here, primary=demand)
    assert refused.value.field == "primary"
    assert refused.value.message == "Merge into another demand that is still being handled."
    assert trace() == before


def test_a_demand_cannot_be_merged_into_a_merged_one(world):
    duplicate = bring_to(world, Status.MERGED)
    demand = submit(world)
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.merge_demand(demand, by=world.personas.here, primary=duplicate)
    assert refused.value.field == "primary"
    assert trace() == before


# --- dispatch and its clocks ---------------------------------------------------------------

# Hours after dispatch of (sign for, first contact, reply) by feedback class (the defaults:
# sign 2 h, contact 24 h, each capped by the reply deadline).
CLOCKS = {
    FeedbackClass.EMERGENCY: (2, 2, 2),
    FeedbackClass.UTILITIES: (2, 24, 24),
    FeedbackClass.GENERAL: (2, 24, 7 * 24),
    FeedbackClass.COMPLEX: (2, 24, 15 * 24),
}


@pytest.mark.parametrize("feedback_class", list(CLOCKS))
def test_dispatch_starts_the_clocks_of_its_feedback_class(world, feedback_class):
    w = world
    kind = category(w, f"c-{feedback_class}", feedback_class)
    demand = actions.accept_demand(submit(w, category=kind), by=w.personas.here, now=ACCEPTED_AT)

    actions.dispatch_demand(demand, by=w.personas.here, now=DISPATCHED_AT)

    demand.refresh_from_db()
    sign, response, feedback = CLOCKS[feedback_class]
    assert demand.status == Status.DISPATCHED
    assert demand.feedback_class == feedback_class
    assert demand.assignee == w.catalogue.department
    assert demand.accepted_at == ACCEPTED_AT
    assert demand.dispatched_at == DISPATCHED_AT
    assert demand.sign_due_at == DISPATCHED_AT + sign * H
    assert demand.response_due_at == DISPATCHED_AT + response * H
    assert demand.feedback_due_at == DISPATCHED_AT + feedback * H
    assert demand.due_at == demand.sign_due_at
    assert demand.return_until == DISPATCHED_AT + 24 * H
    assert demand.signed_at is demand.contacted_at is demand.replied_at is None
    assert (demand.reminded_at, demand.overdue_since, demand.escalation_level) == (None, None, 0)
    assert demand.times_dispatched == 1
    dispatch = Dispatch.objects.get(demand=demand)
    assert (dispatch.organization, dispatch.dispatched_at, dispatch.response_due_at) == (
        w.catalogue.department,
        DISPATCHED_AT,
        demand.response_due_at,
    )
    assert (dispatch.contacted_at, dispatch.returned_at) == (None, None)
    assert events(demand)[-1] == (
        "dispatch_demand",
        {"status": ["accepted", "dispatched"], "unit": [None, w.catalogue.department.pk]},
    )


def test_dispatching_a_submitted_demand_accepts_it_at_the_same_moment(world):
    demand = actions.dispatch_demand(submit(world), by=world.personas.here, now=DISPATCHED_AT)
    demand.refresh_from_db()
    assert (demand.accepted_at, demand.dispatched_at) == (DISPATCHED_AT, DISPATCHED_AT)


def test_dispatch_counts_for_the_unit_and_every_administrative_level(world):
    w = world
    bring_to(w, Status.DISPATCHED)
    counted = (1, 0, 0, 0, 0, 0, 0)
    assert counts(organization=w.catalogue.department) == counted
    for place in (w.city.community, w.city.street, w.city.district, w.city.city):
        assert counts(place=place) == counted
    assert counts(place=w.city.courtyard) is None  # a courtyard is not a level that is ranked
    assert DemandTally.objects.count() == 5


def test_working_days_push_the_clocks_over_the_weekend(world, settings):
    settings.DEMANDS = {"WORKING_DAYS": True}
    w = world
    friday = local(7, 17)
    water = actions.dispatch_demand(
        submit(w, category=w.catalogue.water), by=w.personas.here, now=friday
    )
    assert water.assignee == w.catalogue.fallback
    assert water.sign_due_at == local(7, 19)
    assert water.response_due_at == local(10, 17)  # 24 working hours: Monday 17:00
    assert water.feedback_due_at == local(10, 17)
    assert water.return_until == local(8, 17)  # the return window is calendar time
    light = actions.dispatch_demand(submit(w), by=w.personas.here, now=friday)
    assert light.response_due_at == local(10, 17)
    assert light.feedback_due_at == local(18, 17)  # 7 × 24 working hours: Tuesday week


def test_the_configured_numbers_are_read_at_each_dispatch(world, settings):
    settings.DEMANDS = {
        "SIGN_HOURS": 1,
        "RESPONSE_HOURS": 4,
        "RETURN_HOURS": 6,
        "FEEDBACK_HOURS": {"emergency": 1, "utilities": 12, "general": 72, "complex": 240},
    }
    demand = actions.dispatch_demand(submit(world), by=world.personas.here, now=DISPATCHED_AT)
    assert (
        demand.sign_due_at,
        demand.response_due_at,
        demand.feedback_due_at,
        demand.return_until,
    ) == (DISPATCHED_AT + H, DISPATCHED_AT + 4 * H, DISPATCHED_AT + 72 * H, DISPATCHED_AT + 6 * H)


def test_dispatch_by_hand_overrides_the_table(world):
    demand = actions.dispatch_demand(
        submit(world), by=world.personas.here, organization=world.city.unit, now=DISPATCHED_AT
    )
    assert demand.assignee == world.city.unit


def test_dispatch_by_hand_to_an_inactive_unit_is_refused(world):
    inactive = org_actions.deactivate_organization(world.city.unit, by=None)
    demand = submit(world)
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.dispatch_demand(
            demand, by=world.personas.here, organization=inactive, now=DISPATCHED_AT
        )
    assert (refused.value.field, refused.value.message) == (
        "organization",
        "This unit is no longer active.",
    )
    assert trace() == before


def test_dispatch_by_hand_rereads_the_unit(world):
    chosen = world.city.unit  # read before someone else deactivates it
    org_actions.deactivate_organization(chosen, by=None)
    with pytest.raises(BadInput):
        actions.dispatch_demand(
            submit(world), by=world.personas.here, organization=chosen, now=DISPATCHED_AT
        )


# --- routing -----------------------------------------------------------------------------


def routed(w: World, category: ServiceCategory | None = None, place: Any = None) -> Organization:
    demand = submit(
        w, category=category or w.catalogue.streetlight, place=place or w.city.courtyard
    )
    assignee = actions.dispatch_demand(demand, by=w.personas.here, now=DISPATCHED_AT).assignee
    assert assignee is not None
    return assignee


def test_routing_the_most_specific_category_wins_at_a_place(world):
    w = world
    lamps = unit(w, "东城区路灯管理所")
    Responsibility.objects.create(
        category=w.catalogue.streetlight, place=w.city.district, organization=lamps
    )
    drains = category(w, "drain", FeedbackClass.GENERAL)
    assert routed(w) == lamps  # streetlight row beats its parent's (public works) row
    assert routed(w, drains) == w.catalogue.department  # inherits the public-works row
    assert routed(w, w.catalogue.water) == w.catalogue.fallback


def test_routing_the_nearest_place_wins(world):
    w = world
    lamps = unit(w, "东城区路灯管理所")
    Responsibility.objects.create(
        category=w.catalogue.streetlight, place=w.city.district, organization=lamps
    )
    street_office = unit(w, "前门街道城管科", place=w.city.street)
    Responsibility.objects.create(
        category=w.catalogue.streetlight.parent, place=w.city.street, organization=street_office
    )
    # The street's row is nearer than the district's, even for a broader category.
    assert routed(w) == street_office
    # A community's own catch-all row is nearer still.
    Responsibility.objects.create(category=None, place=w.city.community, organization=w.city.unit)
    assert routed(w) == w.city.unit
    # Outside that community the street's row holds.
    assert routed(w, place=w.city.sibling) == street_office


def test_routing_falls_back_to_the_district(world):
    w = world
    assert routed(w, w.catalogue.water) == w.catalogue.fallback
    assert routed(w, w.catalogue.water, place=w.city.sibling) == w.catalogue.fallback


def test_routing_skips_an_inactive_unit(world):
    w = world
    street_office = unit(w, "前门街道城管科", place=w.city.street)
    Responsibility.objects.create(
        category=w.catalogue.streetlight, place=w.city.street, organization=street_office
    )
    org_actions.deactivate_organization(street_office, by=None)
    assert routed(w) == w.catalogue.department
    org_actions.deactivate_organization(w.catalogue.department, by=None)
    assert routed(w) == w.catalogue.fallback


def test_routing_without_any_unit_is_bad_input_and_changes_nothing(world):
    w = world
    demand = submit(w, place=w.city.far_community)  # Haidian has no responsibility rows
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.dispatch_demand(demand, by=w.personas.here, now=DISPATCHED_AT)
    assert refused.value.field == "organization"
    assert refused.value.message == (
        "No unit answers for this category here, and the district has no fallback: "
        "choose the unit by hand."
    )
    assert trace() == before


def test_routing_below_the_courtyard_inherits_its_rows(world):
    w = world
    stairwell = create_place(
        by=None,
        parent=w.city.courtyard,
        kind=PlaceKind.UNIT,
        code="110101011010001001",
        name="1单元",
    )
    Responsibility.objects.create(category=None, place=w.city.courtyard, organization=w.city.unit)
    assert routed(w, place=stairwell) == w.city.unit


# --- the unit's steps --------------------------------------------------------------------


def test_signing_stamps_signed_at_and_starts_the_contact_clock(world):
    demand = bring_to(world, Status.DISPATCHED)
    # Suppose the sweep had reminded, marked and escalated the signing step.
    Demand.objects.filter(pk=demand.pk).update(
        reminded_at=local(3, 11), overdue_since=local(3, 11, 30), escalation_level=1
    )

    actions.sign_demand(demand, by=world.personas.handler, now=local(3, 12))

    demand.refresh_from_db()
    assert (demand.status, demand.signed_at) == ("signed", local(3, 12))
    assert demand.due_at == demand.response_due_at == DISPATCHED_AT + 24 * H
    assert (demand.reminded_at, demand.overdue_since) == (None, None)
    assert demand.escalation_level == 1  # kept until the next dispatch
    assert events(demand)[-1] == ("sign_demand", {"status": ["dispatched", "signed"]})


def test_contacting_the_requester_in_time_counts_as_a_response(world):
    w = world
    demand = bring_to(w, Status.SIGNED)
    Demand.objects.filter(pk=demand.pk).update(reminded_at=local(3, 20))
    response_due = DISPATCHED_AT + 24 * H

    actions.contact_requester(demand, by=w.personas.handler, note="已电话联系", now=response_due)

    demand.refresh_from_db()
    assert (demand.status, demand.contacted_at) == ("contacted", response_due)
    assert demand.due_at == demand.feedback_due_at == DISPATCHED_AT + 7 * 24 * H
    assert (demand.reminded_at, demand.overdue_since) == (None, None)
    assert Dispatch.objects.get(demand=demand).contacted_at == response_due
    assert counts(organization=w.catalogue.department) == (1, 1, 0, 0, 0, 0, 0)
    assert counts(place=w.city.street) == (1, 1, 0, 0, 0, 0, 0)
    assert events(demand)[-1] == (
        "contact_requester",
        {"status": ["signed", "contacted"], "note": [None, "已电话联系"]},
    )


def test_contacting_the_requester_late_is_no_response_in_time(world):
    w = world
    demand = bring_to(w, Status.SIGNED)
    late = DISPATCHED_AT + 24 * H + timedelta(seconds=1)
    actions.contact_requester(demand, by=w.personas.handler, now=late)
    assert Dispatch.objects.get(demand=demand).contacted_at == late
    assert counts(organization=w.catalogue.department) == (1, 0, 0, 0, 0, 0, 0)


def test_replying_stops_the_clock(world):
    demand = bring_to(world, Status.CONTACTED)
    Demand.objects.filter(pk=demand.pk).update(reminded_at=local(8, 9), overdue_since=local(10, 9))
    actions.reply_demand(demand, by=world.personas.handler, reply="已更换灯泡", now=REPLIED_AT)
    demand.refresh_from_db()
    assert (demand.status, demand.reply, demand.replied_at) == ("replied", "已更换灯泡", REPLIED_AT)
    assert (demand.due_at, demand.reminded_at, demand.overdue_since) == (None, None, None)
    assert events(demand)[-1] == (
        "reply_demand",
        {"status": ["contacted", "replied"], "note": [None, "已更换灯泡"]},
    )


# --- the return window -------------------------------------------------------------------


@pytest.mark.parametrize("start", [Status.DISPATCHED, Status.SIGNED])
@pytest.mark.parametrize(
    "when", [SIGNED_AT + H, DISPATCHED_AT + 24 * H], ids=["inside", "at-the-end"]
)
def test_a_unit_returns_a_misrouted_order_within_the_window(world, start, when):
    w = world
    demand = bring_to(w, start)
    assert counts(organization=w.catalogue.department)[0] == 1

    actions.return_demand(demand, by=w.personas.handler, reason="不属于本单位", now=when)

    demand.refresh_from_db()
    assert (demand.status, demand.assignee) == ("accepted", None)
    assert demand.due_at is demand.sign_due_at is None
    assert demand.response_due_at is demand.feedback_due_at is None
    dispatch = Dispatch.objects.get(demand=demand)
    assert (dispatch.returned_at, dispatch.return_reason) == (when, "不属于本单位")
    assert counts(organization=w.catalogue.department) == (0, 0, 0, 0, 0, 0, 0)
    assert counts(place=w.city.community) == (0, 0, 0, 0, 0, 0, 0)
    assert events(demand)[-1] == (
        "return_demand",
        {
            "status": [start, "accepted"],
            "unit": [None, w.catalogue.department.pk],
            "note": [None, "不属于本单位"],
        },
    )


@pytest.mark.parametrize("start", [Status.DISPATCHED, Status.SIGNED])
def test_after_the_return_window_a_return_is_refused(world, start):
    demand = bring_to(world, start)
    before = trace()
    with pytest.raises(Conflict) as refused:
        actions.return_demand(
            demand,
            by=world.personas.handler,
            reason="不属于本单位",
            now=DISPATCHED_AT + 24 * H + timedelta(microseconds=1),
        )
    assert refused.value.message == (
        "The time to return this order has passed: handle it, or ask the street."
    )
    assert trace() == before


def test_a_returned_order_is_dispatched_again_with_fresh_clocks(world):
    w = world
    demand = bring_to(w, Status.SIGNED)
    actions.return_demand(demand, by=w.personas.handler, reason="不属于本单位", now=LATER)
    again = local(4, 9)
    actions.dispatch_demand(demand, by=w.personas.here, organization=w.city.unit, now=again)

    demand.refresh_from_db()
    assert (demand.status, demand.assignee, demand.times_dispatched) == (
        "dispatched",
        w.city.unit,
        2,
    )
    assert (demand.accepted_at, demand.dispatched_at, demand.signed_at) == (
        ACCEPTED_AT,
        again,
        None,
    )
    assert (demand.due_at, demand.return_until) == (again + 2 * H, again + 24 * H)
    assert counts(organization=w.catalogue.department)[0] == 0
    assert counts(organization=w.city.unit)[0] == 1
    assert counts(place=w.city.street)[0] == 1


def test_a_pending_extension_does_not_follow_a_returned_order_to_the_next_unit(world):
    w = world
    demand = bring_to(w, Status.SIGNED)
    actions.request_extension(
        demand, by=w.personas.handler, until=local(20, 18), reason="需协调多部门", now=LATER
    )
    actions.return_demand(demand, by=w.personas.handler, reason="不属于本单位", now=LATER)
    returned = Demand.objects.get(pk=demand.pk)
    assert (returned.extension_requested_until, returned.extension_reason) == (None, "")
    actions.dispatch_demand(demand, by=w.personas.here, organization=w.city.unit, now=local(4, 9))
    demand = actions.sign_demand(demand, by=w.personas.handler, now=local(4, 10))

    assert demand.extension_requested_until is None
    actions.request_extension(
        demand, by=w.personas.handler, until=local(25, 18), reason="需协调", now=local(4, 11)
    )


# --- extensions --------------------------------------------------------------------------

UNTIL = local(17, 18)  # after the general class's reply deadline (10 March, 09:30)


@pytest.mark.parametrize("start", [Status.SIGNED, Status.CONTACTED])
def test_a_unit_in_hand_asks_for_more_time(world, start):
    demand = bring_to(world, start)
    actions.request_extension(
        demand, by=world.personas.handler, until=UNTIL, reason="需协调多部门", now=LATER
    )
    demand.refresh_from_db()
    assert (demand.extension_requested_until, demand.extension_reason) == (UNTIL, "需协调多部门")
    assert demand.feedback_due_at == DISPATCHED_AT + 7 * 24 * H  # unchanged until decided
    assert events(demand)[-1] == (
        "request_extension",
        {"extension_requested_until": [None, UNTIL.isoformat()], "note": [None, "需协调多部门"]},
    )


@pytest.mark.parametrize("status", sorted(set(Status.values) - {Status.SIGNED, Status.CONTACTED}))
def test_only_an_order_in_hand_can_ask_for_more_time(world, status):
    demand = bring_to(world, status)
    before = trace()
    with pytest.raises(Conflict) as refused:
        actions.request_extension(
            demand, by=world.personas.handler, until=UNTIL, reason="需协调", now=LATER
        )
    assert (
        refused.value.message
        == "Only an order signed for and not yet replied to can get more time."
    )
    assert trace() == before


@pytest.mark.parametrize(
    "until", [DISPATCHED_AT + 7 * 24 * H, local(9, 18)], ids=["same", "before"]
)
def test_an_extension_must_end_after_the_current_deadline(world, until):
    demand = bring_to(world, Status.CONTACTED)
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.request_extension(
            demand, by=world.personas.handler, until=until, reason="需协调", now=LATER
        )
    assert (refused.value.field, refused.value.message) == (
        "until",
        "Ask for a date after the current deadline.",
    )
    assert trace() == before


def test_a_second_request_waits_for_the_first_answer(world):
    demand = bring_to(world, Status.CONTACTED)
    actions.request_extension(demand, by=world.personas.handler, until=UNTIL, reason="需协调")
    before = trace()
    with pytest.raises(Conflict) as refused:
        actions.request_extension(
            demand, by=world.personas.handler, until=local(20, 18), reason="再延"
        )
    assert refused.value.message == "An extension is already waiting for the street's answer."
    assert trace() == before


def test_a_reply_ends_a_pending_extension_request(world):
    demand = bring_to(world, Status.CONTACTED)
    actions.request_extension(demand, by=world.personas.handler, until=UNTIL, reason="需协调")
    actions.reply_demand(demand, by=world.personas.handler, reply="已更换灯泡", now=REPLIED_AT)
    demand.refresh_from_db()
    assert (demand.extension_requested_until, demand.extension_reason) == (None, "")
    with pytest.raises(Conflict):
        actions.decide_extension(demand, by=world.personas.above, approve=True)


def test_the_street_approves_an_extension_and_the_reply_clock_moves(world):
    demand = bring_to(world, Status.CONTACTED)
    actions.request_extension(demand, by=world.personas.handler, until=UNTIL, reason="需协调")
    Demand.objects.filter(pk=demand.pk).update(
        reminded_at=local(8, 18), overdue_since=local(10, 10)
    )
    old_due = DISPATCHED_AT + 7 * 24 * H

    actions.decide_extension(demand, by=world.personas.above, approve=True)

    demand.refresh_from_db()
    assert demand.feedback_due_at == demand.due_at == UNTIL
    assert (demand.reminded_at, demand.overdue_since) == (None, None)
    assert (demand.extension_requested_until, demand.extension_reason) == (None, "")
    assert events(demand)[-1] == (
        "approve_extension",
        {"feedback_due_at": [iso(old_due), iso(UNTIL)]},
    )


def test_an_extension_approved_before_the_contact_moves_only_the_reply_deadline(world):
    demand = bring_to(world, Status.SIGNED)
    actions.request_extension(demand, by=world.personas.handler, until=UNTIL, reason="需协调")
    actions.decide_extension(demand, by=world.personas.above, approve=True)
    demand.refresh_from_db()
    assert demand.feedback_due_at == UNTIL
    assert demand.due_at == demand.response_due_at == DISPATCHED_AT + 24 * H
    # The reply clock then runs to the new date.
    actions.contact_requester(demand, by=world.personas.handler, now=CONTACTED_AT)
    demand.refresh_from_db()
    assert demand.due_at == UNTIL


def test_the_street_refuses_an_extension_and_nothing_moves(world):
    demand = bring_to(world, Status.CONTACTED)
    actions.request_extension(demand, by=world.personas.handler, until=UNTIL, reason="需协调")
    old_due = DISPATCHED_AT + 7 * 24 * H

    actions.decide_extension(demand, by=world.personas.above, approve=False)

    demand.refresh_from_db()
    assert demand.feedback_due_at == demand.due_at == old_due
    assert (demand.extension_requested_until, demand.extension_reason) == (None, "")
    assert events(demand)[-1] == (
        "refuse_extension",
        {"feedback_due_at": [iso(old_due), iso(old_due)]},
    )


def test_deciding_without_a_request_is_a_conflict(world):
    demand = bring_to(world, Status.CONTACTED)
    before = trace()
    with pytest.raises(Conflict) as refused:
        actions.decide_extension(demand, by=world.personas.above, approve=True)
    assert refused.value.message == "No extension is waiting for an answer."
    assert trace() == before


# --- evaluation, reopening, closing ------------------------------------------------------


@pytest.mark.parametrize(
    ("resolved", "satisfaction", "expected"),
    [
        (True, "satisfied", (1, 1, 1, 1, 1, 0, 0)),
        (True, "basic", (1, 1, 1, 1, 0, 1, 0)),
        (False, "unsatisfied", (1, 1, 1, 0, 0, 0, 1)),
    ],
)
def test_the_requesters_evaluation_closes_the_demand_and_counts(
    world, resolved, satisfaction, expected
):
    w = world
    demand = bring_to(w, Status.REPLIED)
    actions.evaluate_demand(
        demand,
        by=w.personas.resident,
        resolved=resolved,
        satisfaction=satisfaction,
        comment="师傅很负责",
        now=EVALUATED_AT,
    )
    demand.refresh_from_db()
    assert demand.status == Status.CLOSED
    assert (demand.resolved, demand.satisfaction, demand.evaluation_comment) == (
        resolved,
        satisfaction,
        "师傅很负责",
    )
    assert demand.evaluated_at == demand.closed_at == EVALUATED_AT
    assert counts(organization=w.catalogue.department) == expected
    for place in (w.city.community, w.city.street, w.city.district, w.city.city):
        assert counts(place=place) == expected
    assert events(demand)[-1] == (
        "evaluate_demand",
        {
            "status": ["replied", "closed"],
            "resolved": [None, resolved],
            "satisfaction": [None, satisfaction],
        },
    )


def test_an_evaluation_needs_a_known_satisfaction(world):
    demand = bring_to(world, Status.REPLIED)
    before = trace()
    with pytest.raises(BadInput) as refused:
        actions.evaluate_demand(
            demand, by=world.personas.resident, resolved=True, satisfaction="ok"
        )
    assert (refused.value.field, refused.value.message) == (
        "satisfaction",
        "Choose how satisfied you are.",
    )
    assert trace() == before


def test_reopening_takes_the_evaluation_back_from_the_rates(world):
    w = world
    demand = bring_to(w, Status.CLOSED)
    assert counts(organization=w.catalogue.department) == (1, 1, 1, 1, 1, 0, 0)

    actions.reopen_demand(demand, by=w.personas.resident, reason="灯又不亮了", now=local(7, 9))

    demand.refresh_from_db()
    assert (demand.status, demand.assignee, demand.due_at) == ("accepted", None, None)
    assert (demand.resolved, demand.satisfaction, demand.evaluation_comment) == (None, "", "")
    assert demand.evaluated_at is demand.closed_at is None
    assert demand.times_reopened == 1
    assert counts(organization=w.catalogue.department) == (1, 1, 0, 0, 0, 0, 0)
    assert counts(place=w.city.district) == (1, 1, 0, 0, 0, 0, 0)
    assert events(demand)[-1] == (
        "reopen_demand",
        {"status": ["closed", "accepted"], "note": [None, "灯又不亮了"]},
    )

    # Dispatched again: a second work order that counts, and a second evaluation.
    actions.dispatch_demand(demand, by=w.personas.here, now=local(7, 10))
    actions.sign_demand(demand, by=w.personas.handler, now=local(7, 11))
    actions.contact_requester(demand, by=w.personas.handler, now=local(7, 12))
    actions.reply_demand(demand, by=w.personas.handler, reply="已更换线路", now=local(8, 12))
    actions.evaluate_demand(
        demand, by=w.personas.resident, resolved=True, satisfaction="basic", now=local(9, 12)
    )
    assert Dispatch.objects.filter(demand=demand).count() == 2
    assert counts(organization=w.catalogue.department) == (2, 2, 1, 1, 0, 1, 0)


def test_reopening_takes_the_evaluation_back_from_its_own_month(world):
    w = world
    demand = bring_to(w, Status.CLOSED)
    actions.reopen_demand(
        demand, by=w.personas.resident, reason="灯又不亮了", now=local(2, 9, month=4)
    )
    assert counts(organization=w.catalogue.department) == (1, 1, 0, 0, 0, 0, 0)
    assert counts(organization=w.catalogue.department, month=date(2025, 4, 1)) is None


def test_reopening_a_demand_closed_without_an_evaluation_leaves_the_rates(world):
    w = world
    demand = bring_to(w, Status.REPLIED)
    actions.close_demand(demand, by=w.personas.here, now=local(20, 9))
    demand.refresh_from_db()
    assert (demand.status, demand.closed_at, demand.evaluated_at) == ("closed", local(20, 9), None)
    tallies = list(DemandTally.objects.order_by("pk").values())

    actions.reopen_demand(demand, by=w.personas.resident, reason="灯又不亮了", now=local(21, 9))

    assert list(DemandTally.objects.order_by("pk").values()) == tallies
    assert Demand.objects.get(pk=demand.pk).status == Status.ACCEPTED


# --- a whole journey -----------------------------------------------------------------------


def test_a_demand_goes_from_intake_to_a_rated_close(world):
    w = world
    demand = bring_to(w, Status.CLOSED)
    assert [verb for verb, _ in events(demand)] == [
        "submit_demand",
        "accept_demand",
        "dispatch_demand",
        "sign_demand",
        "contact_requester",
        "reply_demand",
        "evaluate_demand",
    ]
    assert {e.place_path for e in AuditEvent.objects.for_object(demand)} == {w.city.courtyard.path}
    demand.refresh_from_db()
    assert (
        demand.submitted_at,
        demand.accepted_at,
        demand.dispatched_at,
        demand.signed_at,
        demand.contacted_at,
        demand.replied_at,
        demand.evaluated_at,
        demand.closed_at,
        demand.due_at,
    ) == (
        SUBMITTED_AT,
        ACCEPTED_AT,
        DISPATCHED_AT,
        SIGNED_AT,
        CONTACTED_AT,
        REPLIED_AT,
        EVALUATED_AT,
        EVALUATED_AT,
        None,
    )
    assert counts(organization=w.catalogue.department) == (1, 1, 1, 1, 1, 0, 0)
    assert DemandTally.objects.filter(place__isnull=False).count() == 4


# --- two handlers at once ----------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_handlers_signing_at_once_one_wins_the_other_is_told(world):
    demand = bring_to(world, Status.DISPATCHED)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def sign() -> None:
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # the active language is per thread
                result: object = actions.sign_demand(
                    Demand(pk=demand.pk), by=world.personas.handler, now=SIGNED_AT
                )
        except Exception as exc:  # recorded and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2
    signed = [o for o in outcomes if isinstance(o, Demand)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(signed), len(conflicts)) == (1, 1), outcomes
    assert conflicts[0].message == "This demand is signed for: that step is not possible now."
    assert [verb for verb, _ in events(demand)].count("sign_demand") == 1
    assert Demand.objects.get(pk=demand.pk).signed_at == SIGNED_AT


@pytest.mark.parametrize("finished", ["closed", "answered", "declined"])
def test_a_duplicate_is_not_merged_into_a_finished_demand(world, finished):
    from courtyard.core.errors import BadInput
    from courtyard.core.models import AuditEvent

    duplicate, primary = submit(world), world.primary
    Demand.objects.filter(pk=primary.pk).update(status=finished)
    events = AuditEvent.objects.count()
    with pytest.raises(BadInput):
        actions.merge_demand(duplicate, by=world.personas.here, primary=primary)
    duplicate.refresh_from_db()
    assert duplicate.status == "submitted"
    assert AuditEvent.objects.count() == events
