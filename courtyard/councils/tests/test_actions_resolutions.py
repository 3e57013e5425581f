"""Resolutions: signatures, publication (working days), objections, follow-up tasks (also as
demands) and the evaluation (民评)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.councils import actions
from courtyard.councils.models import (
    Evaluation,
    Objection,
    ResolutionStatus,
    Signature,
    TaskStatus,
)
from courtyard.councils.tests.steps import (
    BEIJING,
    SECOND,
    START,
    events,
    in_effect_resolution,
    passed_resolution,
    published_resolution,
    unchanged,
)
from courtyard.demands.models import Channel, Dispatch, Status
from courtyard.demands.tests.conftest import catalogue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SATURDAY = datetime(2025, 3, 8, 10, 0, tzinfo=BEIJING)


# Signatures


def test_signatures_needed_are_more_than_half_of_those_present(board, personas):
    resolution = passed_resolution(board, personas)  # 4 present of 5
    assert actions.signatures_needed(resolution) == 3


def test_without_attendance_more_than_half_of_the_current_members_sign(board, personas):
    resolution = passed_resolution(board, personas)
    resolution.motion.meeting.attendance.all().delete()
    actions.remove_member(board.members[4], by=personas.here)
    assert actions.signatures_needed(resolution) == 3  # 4 members → 3


def test_a_member_signs_once_in_person_or_by_the_secretary(board, personas):
    resolution = passed_resolution(board, personas)
    signed = actions.sign_resolution(resolution, by=board.chair.user, now=START)
    assert (signed.member, signed.recorded_by, signed.signed_at) == (board.chair, None, START)
    recorded = actions.record_signature(
        resolution, by=board.secretary.user, member=board.members[2], now=START
    )
    assert recorded.recorded_by == board.secretary.user
    resolution.refresh_from_db()
    assert resolution.signature_count == 2 == Signature.objects.count()
    assert [e.changes for e in events(resolution, "resolution_signed")] == [
        {"member": [None, board.chair.pk]},
        {"member": [None, board.members[2].pk], "recorded": [None, True]},
    ]
    with unchanged(resolution), pytest.raises(Conflict) as caught:
        actions.sign_resolution(resolution, by=board.chair.user)
    assert caught.value.message == "委员1 has already signed."
    with unchanged(resolution), pytest.raises(Conflict):
        actions.record_signature(resolution, by=board.secretary.user, member=board.members[2])


def test_only_current_members_sign(board, personas):
    resolution = passed_resolution(board, personas)
    left = actions.remove_member(board.members[4], by=personas.here)
    for call in (
        lambda: actions.sign_resolution(resolution, by=personas.resident),
        lambda: actions.sign_resolution(resolution, by=left.user),
        lambda: actions.record_signature(resolution, by=board.secretary.user, member=left),
    ):
        with unchanged(resolution), pytest.raises(NotAllowed):
            call()


# Publication


def test_publication_waits_for_the_signatures(board, personas):
    resolution = passed_resolution(board, personas)
    for member in board.members[:2]:
        actions.record_signature(resolution, by=board.secretary.user, member=member)
    with unchanged(resolution), pytest.raises(Conflict) as caught:
        actions.publish_resolution(resolution, by=personas.here, now=START)
    assert caught.value.message == "3 members must sign before publication; 2 have."


def test_publication_counts_working_days_and_calendar_days(board, personas):
    resolution = published_resolution(board, personas, at=START)  # Friday 09:00
    assert (resolution.status, resolution.published_at) == ("published", START)
    assert resolution.publication_ends_at == START + timedelta(days=7)  # 5 working days
    assert resolution.objection_ends_at == START + timedelta(days=7)  # 7 calendar days
    assert resolution.objection_threshold == 5
    assert events(resolution, "resolution_published")[0].changes == {
        "status": ["draft", "published"],
        "objections_until": [None, (START + timedelta(days=7)).isoformat()],
    }
    with unchanged(resolution), pytest.raises(Conflict):
        actions.publish_resolution(resolution, by=personas.here)


def test_publication_over_a_weekend(board, personas):
    actions.change_charter(
        board.council, by=personas.here, publication_working_days=1, objection_days=2
    )
    resolution = published_resolution(board, personas, at=START)  # Friday 09:00
    assert resolution.publication_ends_at == START + timedelta(days=3)  # Monday 09:00
    assert resolution.objection_ends_at == START + timedelta(days=2)  # Sunday 09:00


def test_publication_on_a_saturday_starts_counting_on_monday(board, personas):
    actions.change_charter(board.council, by=personas.here, publication_working_days=1)
    resolution = published_resolution(board, personas, at=SATURDAY)
    assert resolution.publication_ends_at == datetime(2025, 3, 11, 0, 0, tzinfo=BEIJING)


# Objections


def test_an_affected_resident_or_member_objects_once(board, personas):
    resolution = published_resolution(board, personas)
    objection = actions.object_to_resolution(
        resolution, by=personas.resident, reason=" 占用消防通道 ", now=START
    )
    assert (objection.reason, objection.created_at) == ("占用消防通道", START)
    actions.object_to_resolution(resolution, by=board.members[4].user, reason="噪音", now=START)
    resolution.refresh_from_db()
    assert (resolution.objection_count, resolution.status) == (2, "published")
    assert [e.changes for e in events(resolution, "objection_filed")] == [
        {"objections": [None, 1]},
        {"objections": [None, 2]},
    ]
    with unchanged(resolution), pytest.raises(Conflict) as caught:
        actions.object_to_resolution(resolution, by=personas.resident, reason="再次", now=START)
    assert caught.value.message == "You have already objected to this resolution."


@pytest.mark.parametrize("who", ["stranger", "sibling", "above", "handler"])
def test_someone_not_affected_cannot_object(board, personas, who):
    resolution = published_resolution(board, personas)
    with unchanged(resolution), pytest.raises(NotAllowed):
        actions.object_to_resolution(
            resolution, by=getattr(personas, who), reason="反对", now=START
        )


def test_an_objection_needs_a_reason(board, personas):
    resolution = published_resolution(board, personas)
    with unchanged(resolution), pytest.raises(BadInput) as caught:
        actions.object_to_resolution(resolution, by=personas.resident, reason="", now=START)
    assert caught.value.field == "reason"


def test_the_objection_window_closes_at_its_end(board, personas):
    resolution = published_resolution(board, personas)
    end = resolution.objection_ends_at
    with unchanged(resolution), pytest.raises(Conflict) as caught:
        actions.object_to_resolution(resolution, by=personas.resident, reason="晚了", now=end)
    assert caught.value.message == "Objections to this resolution are not open now."
    actions.object_to_resolution(resolution, by=personas.resident, reason="赶上", now=end - SECOND)


def test_a_draft_takes_no_objections(board, personas):
    resolution = passed_resolution(board, personas)
    with unchanged(resolution), pytest.raises(Conflict):
        actions.object_to_resolution(resolution, by=personas.resident, reason="反对", now=START)


def test_reaching_the_threshold_returns_the_resolution_at_once(board, personas):
    actions.change_charter(board.council, by=personas.here, objection_threshold=2)
    resolution = published_resolution(board, personas)
    actions.change_charter(board.council, by=personas.here, objection_threshold=50)  # too late
    actions.object_to_resolution(resolution, by=personas.resident, reason="一", now=START)
    at = START + timedelta(hours=1)
    actions.object_to_resolution(resolution, by=board.chair.user, reason="二", now=at)
    resolution.refresh_from_db()
    assert (resolution.status, resolution.returned_at, resolution.objection_count) == (
        ResolutionStatus.RETURNED,
        at,
        2,
    )
    [event] = events(resolution, "resolution_returned")
    assert event.changes == {"status": ["published", "returned"]} and event.actor is None
    with unchanged(resolution), pytest.raises(Conflict):
        actions.object_to_resolution(resolution, by=board.members[2].user, reason="三", now=at)
    assert Objection.objects.count() == 2
    later = resolution.objection_ends_at + timedelta(days=30)
    assert actions.check_council_clocks(now=later).in_effect == 0
    with unchanged(resolution), pytest.raises(Conflict):
        actions.sign_resolution(resolution, by=board.members[4].user)


# Follow-up tasks


def test_tasks_follow_only_a_resolution_in_effect(board, personas):
    resolution = published_resolution(board, personas)
    with unchanged(resolution), pytest.raises(Conflict):
        actions.add_task(
            resolution, by=personas.here, title="采购", owner=board.chair.user,
            due_at=START + timedelta(days=30), now=START,
        )  # fmt: skip


def test_a_task_needs_someone_responsible_and_a_future_deadline(board, personas):
    resolution = in_effect_resolution(board, personas)
    now = resolution.took_effect_at
    for kwargs, field in (
        ({"due_at": now + timedelta(days=1)}, "owner"),
        ({"due_at": now, "owner": board.chair.user}, "due_at"),
        ({"due_at": now + timedelta(days=1), "owner": board.chair.user, "title": ""}, "title"),
    ):
        kwargs.setdefault("title", "采购")
        with unchanged(resolution), pytest.raises(BadInput) as caught:
            actions.add_task(resolution, by=personas.here, now=now, **kwargs)
        assert caught.value.field == field


def test_completing_every_task_carries_the_resolution_out(board, personas, city):
    resolution = in_effect_resolution(board, personas)
    now = resolution.took_effect_at
    due = now + timedelta(days=30)
    first = actions.add_task(
        resolution, by=personas.here, title="采购", owner=board.chair.user, due_at=due, now=now
    )
    second = actions.add_task(
        resolution, by=personas.here, title="安装", organization=city.unit, due_at=due, now=now
    )
    assert (first.status, first.created_at, first.due_at) == ("open", now, due)
    actions.complete_task(first, by=board.chair.user, note=" 已采购 ", now=now + SECOND)
    first.refresh_from_db()
    resolution.refresh_from_db()
    assert (first.status, first.done_at, first.note) == ("done", now + SECOND, "已采购")
    assert resolution.status == ResolutionStatus.IN_EFFECT
    with unchanged(first, resolution), pytest.raises(Conflict):
        actions.complete_task(first, by=board.chair.user)
    done_at = now + 2 * SECOND
    actions.complete_task(second, by=personas.handler, now=done_at)
    resolution.refresh_from_db()
    assert (resolution.status, resolution.done_at) == (ResolutionStatus.DONE, done_at)
    assert [e.changes["status"] for e in events(resolution, "task_done")] == [
        ["open", "done"],
        ["open", "done"],
    ]
    assert events(resolution, "resolution_done")[0].changes == {"status": ["in_effect", "done"]}
    # More work reopens it.
    actions.add_task(
        resolution, by=personas.here, title="维护", owner=board.chair.user, due_at=due, now=done_at
    )
    resolution.refresh_from_db()
    assert (resolution.status, resolution.done_at) == (ResolutionStatus.IN_EFFECT, None)


def test_a_task_dispatched_as_a_demand(board, personas, catalogue):  # noqa: F811
    resolution = in_effect_resolution(board, personas)
    now = resolution.took_effect_at
    task = actions.add_task(
        resolution, by=personas.here, title="修路灯", owner=board.chair.user,
        due_at=now + timedelta(days=30), now=now,
    )  # fmt: skip
    task = actions.dispatch_task(task, by=personas.here, category=catalogue.streetlight, now=now)
    task.refresh_from_db()
    demand = task.demand
    assert task.status == TaskStatus.DISPATCHED and demand is not None
    assert (demand.channel, demand.status, demand.place, demand.category) == (
        Channel.COUNCIL,
        Status.DISPATCHED,
        board.council.place,
        catalogue.streetlight,
    )
    assert demand.description == f"Resolution “{resolution.title}”: 修路灯"
    assert Dispatch.objects.get(demand=demand).organization == catalogue.department
    assert events(resolution, "task_dispatched")[0].changes["demand"] == [None, demand.pk]
    with unchanged(task), pytest.raises(Conflict):
        actions.dispatch_task(task, by=personas.here, category=catalogue.streetlight, now=now)
    actions.complete_task(task, by=personas.here, now=now + SECOND)
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.DONE


# Evaluation


def test_the_proposer_and_members_evaluate_once(board, personas):
    resolution = in_effect_resolution(board, personas)
    evaluation = actions.evaluate_resolution(
        resolution, by=personas.resident, rating="basic", comment=" 还行 ", now=START
    )
    assert (evaluation.rating, evaluation.comment, evaluation.created_at) == (
        "basic",
        "还行",
        START,
    )
    actions.evaluate_resolution(resolution, by=board.chair.user, rating="satisfied")
    assert Evaluation.objects.filter(resolution=resolution).count() == 2
    assert events(resolution, "resolution_evaluated")[0].changes == {"rating": [None, "basic"]}
    with unchanged(resolution), pytest.raises(Conflict) as caught:
        actions.evaluate_resolution(resolution, by=personas.resident, rating="not_satisfied")
    assert caught.value.message == "You have already evaluated this resolution."


@pytest.mark.parametrize("who", ["stranger", "here", "handler"])
def test_others_do_not_evaluate(board, personas, who):
    resolution = in_effect_resolution(board, personas)
    with unchanged(resolution), pytest.raises(NotAllowed):
        actions.evaluate_resolution(resolution, by=getattr(personas, who), rating="satisfied")


def test_evaluation_waits_for_the_effect_and_a_known_rating(board, personas):
    resolution = published_resolution(board, personas)
    with unchanged(resolution), pytest.raises(Conflict):
        actions.evaluate_resolution(resolution, by=personas.resident, rating="satisfied")
    with unchanged(resolution), pytest.raises(BadInput) as caught:
        actions.evaluate_resolution(resolution, by=personas.resident, rating="5 stars")
    assert caught.value.field == "rating"
