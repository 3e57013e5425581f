"""Councils, charters and seats: exact values, the charter's checks, refusals leave no trace."""

from __future__ import annotations

import pytest

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils import actions
from courtyard.councils.models import Council, CouncilMember, DecisionRule, MemberRole
from courtyard.councils.tests.steps import T0, events, unchanged

pytestmark = pytest.mark.django_db

HALF = {
    "pass": [
        {"measure": "headcount", "base": "participants", "fraction": "1/2", "inclusive": False}
    ]
}


def test_a_council_takes_the_configured_charter_and_its_own_overrides(city, personas, settings):
    settings.COUNCILS = {"NOTICE_DAYS": 5, "SECRET_BALLOTS": True}
    council = actions.create_council(
        by=personas.here,
        place=city.community,
        name="  草厂社区议事会 ",
        support_threshold=7,
        now=T0,
    )
    council.refresh_from_db()
    assert (council.name, council.place_path, council.created_at) == (
        "草厂社区议事会",
        city.community.path,
        T0,
    )
    assert (council.notice_days, council.secret_ballots, council.support_threshold) == (5, True, 7)
    assert (council.publication_working_days, council.objection_days) == (5, 7)
    assert (council.speech_minutes, council.speeches_per_motion) == (2, 2)
    assert council.decision_rule == DecisionRule.MAJORITY
    [event] = events(council)
    assert (event.verb, event.actor, event.place_path) == (
        "council_created",
        personas.here,
        city.community.path,
    )


@pytest.mark.parametrize(
    ("charter", "field", "message"),
    [
        ({"notice_days": 61}, "notice_days", "Give a whole number from 0 to 60."),
        ({"support_threshold": 0}, "support_threshold", "Give a whole number from 1 to 100000."),
        ({"speeches_per_motion": True}, "speeches_per_motion", "Give a whole number from 1 to 20."),
        ({"speech_minutes": "2"}, "speech_minutes", "Give a whole number from 1 to 60."),
        ({"decision_rule": "simple"}, "decision_rule", "Choose one of the decision rules."),
        ({"secret_ballots": "no"}, "secret_ballots", "Answer yes or no."),
        ({"results_hidden_until_close": 1}, "results_hidden_until_close", "Answer yes or no."),
        ({"decision_rule": "custom", "custom_rule": {"pass": "x"}}, "custom_rule", None),
        ({"decision_rule": "custom"}, "custom_rule", None),
        ({"colour": "red"}, None, "Unknown charter field: colour."),
    ],
)
def test_a_bad_charter_is_refused_and_nothing_is_created(city, personas, charter, field, message):
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.create_council(by=personas.here, place=city.community, name="议事会", **charter)
    assert caught.value.field == field
    if message:
        assert caught.value.message == message
    assert not Council.objects.exists()


def test_a_custom_rule_is_accepted_when_it_parses(city, personas):
    council = actions.create_council(
        by=personas.here,
        place=city.community,
        name="议事会",
        decision_rule=DecisionRule.CUSTOM,
        custom_rule=HALF,
    )
    assert (council.decision_rule, council.custom_rule) == ("custom", HALF)


def test_changing_the_charter_records_old_and_new(board, personas):
    council = actions.change_charter(
        board.council, by=personas.here, notice_days=7, secret_ballots=True, now=T0
    )
    council.refresh_from_db()
    assert (council.notice_days, council.secret_ballots) == (7, True)
    event = events(council, "charter_changed")[-1]
    assert event.changes == {"notice_days": [3, 7], "secret_ballots": [False, True]}
    assert event.created_at == T0


def test_a_charter_change_that_changes_nothing_writes_nothing(board, personas):
    with unchanged(board.council):
        actions.change_charter(board.council, by=personas.here, notice_days=3)


@pytest.mark.parametrize(
    "charter",
    [
        {"decision_rule": "custom"},  # no conditions
        {"objection_days": 0},
        {"publication_working_days": 61},
        {"decision_rule": "custom", "custom_rule": []},
    ],
)
def test_a_bad_charter_change_is_refused_and_nothing_changes(board, personas, charter):
    with unchanged(board.council), pytest.raises(BadInput):
        actions.change_charter(board.council, by=personas.here, **charter)


def test_a_member_is_seated_with_a_role(board, personas, city):
    member = actions.add_member(
        board.council,
        by=personas.here,
        user=personas.handler,
        role=MemberRole.UNIT,
        organization=city.unit,
        now=T0,
    )
    member.refresh_from_db()
    assert (member.role, member.organization, member.joined_at, member.left_at) == (
        "unit",
        city.unit,
        T0,
        None,
    )
    event = events(board.council, "member_added")[-1]
    assert event.changes == {"member": [None, str(personas.handler.pk)], "role": [None, "unit"]}


@pytest.mark.parametrize(
    ("role", "field"),
    [("mayor", "role"), (MemberRole.UNIT, "organization"), (MemberRole.PROPERTY_COMPANY, "organization")],
)  # fmt: skip
def test_a_seat_without_a_valid_role_or_its_organization_is_refused(board, personas, role, field):
    with unchanged(board.council), pytest.raises(BadInput) as caught:
        actions.add_member(board.council, by=personas.here, user=personas.handler, role=role)
    assert caught.value.field == field


def test_one_current_seat_per_person(board, personas):
    with unchanged(board.council, board.chair), pytest.raises(Conflict) as caught:
        actions.add_member(
            board.council, by=personas.here, user=board.chair.user, role=MemberRole.RESIDENT
        )
    assert caught.value.message == "This person already has a seat on this council."


def test_a_member_who_left_may_be_seated_again(board, personas):
    left = actions.remove_member(board.members[4], by=personas.here, now=T0)
    assert left.left_at == T0
    assert events(board.council, "member_removed")[-1].changes == {
        "member": [None, str(left.user_id)]
    }
    again = actions.add_member(
        board.council, by=personas.here, user=left.user, role=MemberRole.RESIDENT
    )
    assert again.pk != left.pk
    assert CouncilMember.objects.current().filter(council=board.council).count() == 5


def test_a_member_cannot_leave_twice(board, personas):
    member = actions.remove_member(board.members[4], by=personas.here, now=T0)
    with unchanged(member, board.council), pytest.raises(Conflict):
        actions.remove_member(member, by=personas.here)
