"""Refusals a security review asked for: secret votes keep their counts hidden, owners'
votes are for staff only, impossible combinations and out-of-range input are refused with
a sentence (never a 500), and units and demands stay within the council's place."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from conftest import City, Personas
from courtyard.core.errors import BadInput, Conflict
from courtyard.councils import actions
from courtyard.councils.actions.rolls import RollImportError
from courtyard.councils.models import Council, OwnersRoll, Vote
from courtyard.councils.tests.conftest import Board
from courtyard.councils.tests.steps import (
    START,
    in_effect_resolution,
    meeting_in_progress,
    unchanged,
)
from courtyard.councils.tests.test_api import api_as, get, post, refused
from courtyard.demands import actions as demand_actions
from courtyard.demands.tests.conftest import Catalogue, catalogue  # noqa: F401  (fixture)
from courtyard.organizations.actions import create_organization
from courtyard.organizations.models import OrganizationKind

pytestmark = pytest.mark.django_db

ROLL = b"part,area,owner_id,owner_name\n1-101,85.50,o1,\xe5\xbc\xa0\n1-102,60.00,o2,\xe6\x9d\x8e\n"


def owners_roll(board: Board, personas: Personas, data: bytes = ROLL) -> OwnersRoll:
    return actions.import_roll(board.council, by=personas.here, name="1号楼", data=data)


def test_a_secret_vote_hides_its_counts_even_where_the_charter_shows_results(
    board: Board, personas: Personas
) -> None:
    actions.change_charter(
        board.council, by=personas.here, secret_ballots=True, results_hidden_until_close=False
    )
    sitting = meeting_in_progress(board, personas)
    vote = actions.create_vote(board.council, by=board.secretary.user, motion=sitting.motion,
                               online_opens_at=START, online_closes_at=START + timedelta(hours=1),
                               now=START)  # fmt: skip
    vote = actions.open_vote(vote, by=board.secretary.user, now=START)
    assert (vote.secret, vote.results_hidden) == (True, True)


def test_the_chair_cannot_run_an_owners_vote_through_the_api(
    board: Board, personas: Personas
) -> None:
    roll = owners_roll(board, personas)
    chair = api_as(board.chair.user)
    with unchanged(board.council):
        refused(post(chair, f"/councils/{board.council.pk}/votes",
                     {"title": "加装电梯", "roll": roll.pk, "matter": "7"}), 403)  # fmt: skip
    vote = actions.create_vote(board.council, by=personas.here, title="加装电梯", roll=roll,
                               matter="7")  # fmt: skip
    assert not Vote.objects.visible_to(board.chair.user).filter(pk=vote.pk).exists()  # a draft
    vote = actions.open_vote(vote, by=personas.here)
    voter = vote.voters.get(key="o1")
    with unchanged(vote):
        refused(get(chair, f"/votes/{vote.pk}/voters"), 403)
        refused(post(chair, f"/votes/{vote.pk}/paper",
                     {"voter": voter.pk, "choice": "yes", "paper_ref": "P-1"}), 403)  # fmt: skip
        refused(post(chair, f"/votes/{vote.pk}/close"), 403)
    assert get(api_as(personas.here), f"/votes/{vote.pk}/voters").status_code == 200


def test_an_owners_vote_is_never_a_meetings_motion_nor_taken_by_hands(
    board: Board, personas: Personas
) -> None:
    roll = owners_roll(board, personas)
    sitting = meeting_in_progress(board, personas)
    with unchanged(sitting.motion), pytest.raises(BadInput, match="not a meeting's motion"):
        actions.create_vote(board.council, by=personas.here, motion=sitting.motion, roll=roll,
                            matter="5", now=START)  # fmt: skip
    vote = actions.open_vote(
        actions.create_vote(board.council, by=personas.here, title="使用维修资金", roll=roll,
                            matter="5", now=START),
        by=personas.here, now=START,
    )  # fmt: skip
    with unchanged(vote), pytest.raises(Conflict, match="not by a show of hands"):
        actions.record_hands(vote, by=personas.here, choices={vote.voters.get(key="o1"): "yes"})


@pytest.mark.parametrize("query", ["?place=²", "?place=" + "9" * 5000, "?place=-1", "?demand=²"])
def test_odd_ids_in_the_query_string_are_missing_places_not_errors(
    board: Board, query: str
) -> None:
    status = Client().get("/councils/" + query).status_code
    assert status == (200 if query.startswith("?demand") else 404)


@pytest.mark.parametrize("year", [1, 1999, 2101, 9999])
def test_dates_outside_the_calendar_a_council_plans_with_are_refused(
    board: Board, personas: Personas, year: int
) -> None:
    moment = datetime(year, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    with unchanged(board.council), pytest.raises(BadInput, match="between 2000 and 2100"):
        actions.schedule_meeting(board.council, by=personas.here, title="会", location="院",
                                 starts_at=moment)  # fmt: skip
    with unchanged(board.council), pytest.raises(BadInput, match="between 2000 and 2100"):
        actions.create_vote(board.council, by=personas.here, title="表决",
                            online_opens_at=moment, online_closes_at=moment + timedelta(days=1))  # fmt: skip


def test_a_meeting_from_the_api_far_in_the_future_is_a_400(
    board: Board, personas: Personas
) -> None:
    staff = api_as(personas.here)
    body = {"title": "会", "location": "院", "starts_at": "9999-12-31T23:59:00-12:00"}
    with unchanged(board.council):
        refused(post(staff, f"/councils/{board.council.pk}/meetings", body), 400)


def test_attendance_with_an_impossible_id_is_refused(board: Board, personas: Personas) -> None:
    sitting = meeting_in_progress(board, personas, present=0)
    staff = api_as(personas.here)  # issuing a token writes rows: before the snapshot
    with unchanged(sitting.meeting):
        refused(post(staff, f"/meetings/{sitting.meeting.pk}/attendance",
                     {"members": [2**70]}), 422)  # fmt: skip
        client = Client()
        client.force_login(personas.here)
        response = client.post(f"/councils/meetings/{sitting.meeting.pk}/attendance/",
                               {"members": [str(2**70)]})  # fmt: skip
        assert response.status_code == 400


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("1-101,85.50,o1,张\x00\n", "line 2: a value contains a character that is not allowed"),
        (
            "1-101,999999999999,dev,开发商\n1-102,999999999999,dev,开发商\n",
            'line 2: the parts of owner "dev" add up to too large an area',
        ),
    ],
)
def test_a_roll_with_unstorable_values_is_refused_by_line(
    board: Board, personas: Personas, rows: str, message: str
) -> None:
    data = ("part,area,owner_id,owner_name\n" + rows).encode()
    with unchanged(board.council), pytest.raises(RollImportError) as caught:
        owners_roll(board, personas, data)
    assert [str(e) for e in caught.value.errors] == [message]


def test_tasks_name_and_dispatch_to_units_of_the_councils_district(
    board: Board,
    personas: Personas,
    city: City,
    catalogue: Catalogue,  # noqa: F811
) -> None:
    resolution = in_effect_resolution(board, personas)
    far_unit = create_organization(by=None, name="学院路某公司", kind=OrganizationKind.ENTERPRISE,
                                   place=city.far_community)  # fmt: skip
    due = timezone.now() + timedelta(days=30)
    with unchanged(resolution), pytest.raises(BadInput, match="unit of this district"):
        actions.add_task(resolution, by=personas.here, title="修路", due_at=due,
                         organization=far_unit)  # fmt: skip
    task = actions.add_task(resolution, by=personas.here, title="修路", due_at=due,
                            organization=city.unit)  # fmt: skip
    with unchanged(task), pytest.raises(BadInput, match="unit of this district"):
        actions.dispatch_task(task, by=personas.here, category=catalogue.streetlight,
                              organization=far_unit)  # fmt: skip


def test_a_proposal_is_made_only_from_a_demand_of_the_place_its_raiser_handles(
    board: Board,
    personas: Personas,
    city: City,
    catalogue: Catalogue,  # noqa: F811
) -> None:
    def demand_at(place: Any) -> Any:
        return demand_actions.submit_demand(
            by=personas.resident, channel="web", place=place, category=catalogue.streetlight,
            description="路灯坏了，王秀兰 13800138000", requester=personas.resident,
        )  # fmt: skip

    elsewhere = Council.objects.create(place=city.far_community, place_path=city.far_community.path,
                                       name="学院路议事会")  # fmt: skip
    here = demand_at(city.courtyard)
    for council, by in ((elsewhere, personas.resident), (board.council, personas.stranger)):
        with unchanged(here), pytest.raises(BadInput, match="made from a demand"):
            actions.raise_proposal(council, by=by, title="路灯", body="修路灯", demand=here)
    proposal = actions.raise_proposal(board.council, by=personas.here, title="路灯", body="修",
                                      demand=here)  # fmt: skip
    assert proposal.demand == here


def test_the_raise_form_from_a_demand_fills_in_its_public_summary_not_the_residents_words(
    board: Board,
    personas: Personas,
    catalogue: Catalogue,  # noqa: F811  (the demands fixture)
    city: City,
) -> None:
    demand = demand_actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard, category=catalogue.streetlight,
        description="路灯坏了，请联系王秀兰 13800138000", requester=personas.resident,
    )  # fmt: skip
    client = Client()
    client.force_login(personas.here)
    page = client.get(f"/councils/{board.council.pk}/proposals/new/?demand={demand.pk}")
    text = page.content.decode()
    assert page.status_code == 200 and demand.public_summary in text
    assert "13800138000" not in text and "王秀兰" not in text
