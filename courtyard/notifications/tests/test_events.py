"""Each wired event tells exactly the right people: not the actor, not the neighbours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import City, Personas, make_user
from courtyard.councils import actions as council_actions
from courtyard.councils.models import Council
from courtyard.councils.tests import steps
from courtyard.demands import actions
from courtyard.demands.models import Demand
from courtyard.demands.sla import sweep
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.whistles import blow_whistle
from courtyard.notifications import events
from courtyard.notifications.actions import notify_all
from courtyard.notifications.models import Notification
from courtyard.notifications.tests.conftest import told
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
D = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)  # a Monday: dispatched, sign by 11:30
SIGN_DUE = D + 2 * H


@pytest.fixture
def people(city: City, personas: Personas) -> dict[str, Any]:
    """A second handler of the 草厂 unit, a handler of the sibling unit, a district officer."""
    second = make_user("second-handler")
    people_actions.assign_role(second, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.unit)
    outsider = make_user("sibling-handler")
    people_actions.assign_role(
        outsider, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.sibling_unit
    )
    district = make_user("district-officer")
    people_actions.assign_role(
        district, by=None, kind=RoleKind.DISTRICT_OFFICER, place=city.district
    )
    return {"second": second, "outsider": outsider, "district": district}


def raise_demand(city: City, personas: Personas, catalogue: Catalogue, **kw: Any) -> Demand:
    fields: dict[str, Any] = {"requester": personas.resident}
    fields.update(kw)
    return actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard,
        category=catalogue.streetlight, description="胡同口路灯不亮三天了",
        submitted_at=D - H, **fields,
    )  # fmt: skip


def dispatched(city: City, personas: Personas, catalogue: Catalogue) -> Demand:
    demand = raise_demand(city, personas, catalogue)
    return actions.dispatch_demand(demand, by=personas.here, organization=city.unit, now=D)


# ── Demands ───────────────────────────────────────────────────────────────────────────────


def test_dispatch_tells_the_units_handlers(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    with committed():
        demand = dispatched(city, personas, catalogue)
    assert told() == [
        ("second-handler", "demand_dispatched"),
        ("unit-handler", "demand_dispatched"),
    ]
    row = Notification.objects.filter(recipient=personas.handler).get()
    assert row.url == f"/demands/{demand.pk}/"
    assert row.target_repr == f"#{demand.pk} 路灯不亮 · 草厂三条12号院"


def test_reply_tells_the_requester_without_their_name_or_phone(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    demand = dispatched(city, personas, catalogue)
    actions.sign_demand(demand, by=personas.handler, now=D + H)
    actions.contact_requester(demand, by=personas.handler, now=D + 2 * H)
    with committed():
        actions.reply_demand(demand, by=personas.handler, reply="已修好", now=D + 3 * H)
    assert told() == [("resident", "demand_replied")]
    row = Notification.objects.get()
    for secret in ("王秀兰", "13800138000", "138****8000"):
        assert secret not in row.target_repr and secret not in row.message


@pytest.mark.parametrize(
    ("step", "verb"),
    [
        (lambda d, by: actions.answer_demand(d, by=by, answer="请拨打12345"), "demand_answered"),
        (lambda d, by: actions.decline_demand(d, by=by, reason="属于法院"), "demand_declined"),
    ],
)
def test_answer_and_decline_tell_the_requester(
    step: Any, verb: str, city: City, personas: Personas, catalogue: Catalogue, committed: Any
) -> None:
    demand = raise_demand(city, personas, catalogue)
    with committed():
        step(demand, personas.here)
    assert told() == [("resident", verb)]


def test_a_demand_recorded_for_someone_without_an_account_tells_nobody(
    city: City, personas: Personas, catalogue: Catalogue, committed: Any
) -> None:
    demand = raise_demand(
        city, personas, catalogue, requester=None, requester_name="刘大爷", requester_phone="1"
    )
    with committed():
        actions.answer_demand(demand, by=personas.here, answer="已答复")
    assert told() == []


@pytest.mark.parametrize(
    ("approve", "verb"), [(True, "extension_approved"), (False, "extension_refused")]
)
def test_an_extension_decided_tells_the_units_handlers(
    approve: bool, verb: str, city: City, personas: Personas, catalogue: Catalogue,
    people: Any, committed: Any,
) -> None:  # fmt: skip
    demand = dispatched(city, personas, catalogue)
    actions.sign_demand(demand, by=personas.handler, now=D + H)
    actions.request_extension(
        demand, by=personas.handler, until=D + 30 * 24 * H, reason="需要采购", now=D + 2 * H
    )
    with committed():
        actions.decide_extension(demand, by=personas.above, approve=approve, now=D + 3 * H)
    assert told() == [("second-handler", verb), ("unit-handler", verb)]


def test_a_refused_action_tells_nobody(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    demand = raise_demand(city, personas, catalogue)
    with committed(), pytest.raises(Exception, match="no longer active"):
        city.unit.is_active = False
        city.unit.save(update_fields=["is_active"])
        actions.dispatch_demand(demand, by=personas.here, organization=city.unit, now=D)
    assert told() == []


# ── The SLA sweep ─────────────────────────────────────────────────────────────────────────


def test_a_reminder_tells_the_units_handlers(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    dispatched(city, personas, catalogue)
    with committed():
        assert sweep(SIGN_DUE - timedelta(minutes=30)).reminded == 1
    assert told() == [("second-handler", "demand_reminder"), ("unit-handler", "demand_reminder")]


def test_escalation_tells_the_street_then_the_district(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    dispatched(city, personas, catalogue)
    with committed():
        assert sweep(SIGN_DUE + 25 * H).escalated == 1
    assert told("demand_escalated") == [("street-officer", "demand_escalated")]
    with committed():
        assert sweep(SIGN_DUE + 49 * H).escalated == 1
    assert told("demand_escalated") == [
        ("district-officer", "demand_escalated"),
        ("street-officer", "demand_escalated"),
    ]


def test_a_jump_of_two_levels_tells_both(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    dispatched(city, personas, catalogue)
    with committed():
        sweep(SIGN_DUE + 49 * H)
    assert told("demand_escalated") == [
        ("district-officer", "demand_escalated"),
        ("street-officer", "demand_escalated"),
    ]


def test_a_reminder_before_triage_goes_to_the_communitys_staff(
    city: City, personas: Personas, catalogue: Catalogue, committed: Any
) -> None:
    demand = raise_demand(city, personas, catalogue)  # at a courtyard in 草厂, no unit yet
    notice = events.reminder_notice(demand)
    with committed():
        notify_all([notice])
    assert told() == [("worker-here", "demand_reminder")]  # not the sibling's, not the street


def test_a_sweep_batch_sends_its_notices_in_a_fixed_number_of_queries(
    city: City, personas: Personas, catalogue: Catalogue, people: Any,
    django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any,
) -> None:  # fmt: skip
    for _ in range(5):
        dispatched(city, personas, catalogue)
    with django_capture_on_commit_callbacks() as callbacks:
        assert sweep(SIGN_DUE + 49 * H).escalated == 5
    with django_assert_num_queries(2):  # the staff of every place reached, then one insert
        for callback in callbacks:
            callback()
    assert Notification.objects.filter(verb="demand_escalated").count() == 10


# ── Whistles ──────────────────────────────────────────────────────────────────────────────


def test_a_whistle_tells_the_summoned_handlers_once_each(
    city: City, personas: Personas, catalogue: Catalogue, people: Any, committed: Any
) -> None:
    with committed():
        blow_whistle(
            by=personas.above, place=city.community, kind="routine", title="路灯抢修",
            description="街道解决不了", organizations=[city.unit, catalogue.department],
        )  # fmt: skip
    # The persona handles both parties: told once; the sibling school was not summoned.
    assert told() == [("second-handler", "whistle_blown"), ("unit-handler", "whistle_blown")]


# ── Councils ──────────────────────────────────────────────────────────────────────────────

MEMBERS = [f"member-{i}" for i in range(1, 6)]


def test_an_announced_meeting_tells_the_members(
    board: Any, personas: Personas, committed: Any
) -> None:
    council_actions.remove_member(board.members[4], by=personas.here)
    with committed():
        steps.meeting_in_progress(board, personas)
    assert told("meeting_announced") == [(m, "meeting_announced") for m in MEMBERS[:4]]
    # The resident's proposal was put on the agenda on the way: the proposer is told.
    assert told("proposal_screened") == [("resident", "proposal_screened")]


def test_a_declined_proposal_tells_the_proposer(
    board: Any, personas: Personas, committed: Any
) -> None:
    proposal = council_actions.raise_proposal(
        board.council, by=personas.resident, title="装晾衣架", body="楼前空地。"
    )
    with committed():
        council_actions.decline_proposal(proposal, by=personas.here, reason="属于物业")
    assert told() == [("resident", "proposal_declined")]


def test_the_support_threshold_tells_the_staff_at_the_councils_place(
    board: Any, personas: Personas, committed: Any
) -> None:
    proposal = council_actions.raise_proposal(
        board.council, by=personas.resident, title="装晾衣架", body="楼前空地。"
    )
    with committed():
        for member in board.members[:2]:
            council_actions.support_proposal(proposal, by=member.user)
    assert told() == []  # two of three
    with committed():
        council_actions.support_proposal(proposal, by=board.members[2].user)
    assert told() == [("worker-here", "proposal_threshold_reached")]  # not the street above


def test_a_vote_with_an_online_window_tells_the_voters_but_not_the_opener(
    board: Any, personas: Personas, committed: Any
) -> None:
    opens = steps.T0 + H
    vote = council_actions.create_vote(
        board.council, by=board.secretary.user, title="是否更换门禁",
        online_opens_at=opens, online_closes_at=opens + 48 * H, now=steps.T0,
    )  # fmt: skip
    with committed():
        council_actions.open_vote(vote, by=board.secretary.user, now=steps.T0)
    assert told() == [(m, "vote_opened") for m in MEMBERS if m != "member-2"]


def test_a_vote_without_an_online_window_tells_nobody(
    board: Any, personas: Personas, committed: Any
) -> None:
    vote = council_actions.create_vote(board.council, by=personas.here, title="举手表决")
    with committed():
        council_actions.open_vote(vote, by=personas.here)
    assert told() == []


def test_publication_and_return_tell_the_members(
    board: Any, personas: Personas, committed: Any
) -> None:
    Council.objects.filter(pk=board.council.pk).update(objection_threshold=1)
    resolution = steps.passed_resolution(board, personas)
    for member in board.members[:3]:
        council_actions.record_signature(
            resolution, by=board.secretary.user, member=member, now=steps.START
        )
    Notification.objects.all().delete()
    with committed():
        council_actions.publish_resolution(resolution, by=personas.here, now=steps.START)
    assert told() == [(m, "resolution_published") for m in MEMBERS]
    with committed():
        council_actions.object_to_resolution(
            resolution, by=personas.resident, reason="影响采光", now=steps.START + H
        )
    assert told("resolution_returned") == [(m, "resolution_returned") for m in MEMBERS]
