"""The councils API (/api/v1/…): every endpoint's happy path through the one action, the
refusals (400/403/409 with nothing stored), personal data, fixed query counts on lists, and
the OpenAPI document. The permission matrix is test_matrix_api.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import City, Personas, make_user
from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils import models as council_models
from courtyard.councils.models import (
    Ballot,
    Council,
    CouncilMember,
    ExclusivePart,
    Meeting,
    OwnersRoll,
    Proposal,
    Resolution,
    SecretCount,
    Vote,
)
from courtyard.councils.tests.conftest import Board
from courtyard.demands.models import Demand
from courtyard.demands.tests.conftest import Catalogue, catalogue  # noqa: F401  (fixture)
from courtyard.people.actions import issue_token
from courtyard.people.models import User

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def api_as(user: User | None) -> Client:
    """A client with the user's Bearer token: one token per user object (issuing one writes
    a row, which would spoil a `no_trace` block)."""
    if user is None:
        return Client(headers={"Accept-Language": "en"})
    client = user.__dict__.get("_test_api_client")
    if client is None:
        _token, secret = issue_token(user, by=user, name="test")
        client = Client(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
        user.__dict__["_test_api_client"] = client
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(V1 + url, json.dumps(body or {}), content_type="application/json")


def get(client: Client, url: str) -> Any:
    return client.get(V1 + url)


def counts() -> dict[str, int]:
    """Rows of every council table, demands and the audit trail."""
    models = [getattr(council_models, n) for n in council_models.__all__]
    models = [m for m in models if hasattr(m, "_meta") and not m._meta.abstract]
    return {m.__name__: m._default_manager.count() for m in [*models, AuditEvent, Demand]}


@contextmanager
def no_trace(*objs: Any) -> Iterator[None]:
    """The block (a refused request) writes no row anywhere and changes none of `objs`."""

    def snap() -> Any:
        return counts(), [
            {f.attname: getattr(type(o).objects.get(pk=o.pk), f.attname) for f in o._meta.fields}
            for o in objs
        ]

    before = snap()
    yield
    assert snap() == before


def refused(response: Any, status: int, detail: str | None = None) -> None:
    assert response.status_code == status, response.content
    if detail is not None:
        assert response.json()["detail"] == detail


@pytest.fixture(autouse=True)
def tokens(personas: Personas, board: Board) -> None:
    """Every persona's and member's token exists before a test counts rows."""
    for user in [*vars(personas).values(), *(m.user for m in board.members)]:
        api_as(user)


@pytest.fixture
def staff(personas: Personas) -> Client:
    return api_as(personas.here)


@pytest.fixture
def secretary(board: Board) -> Client:
    return api_as(board.secretary.user)


@pytest.fixture
def resident(personas: Personas) -> Client:
    return api_as(personas.resident)


# ── Councils, charter, members ────────────────────────────────────────────────────────────


def test_a_council_reads_with_its_charter_and_members(board: Board, city: City) -> None:
    body = get(api_as(None), f"/councils/{board.council.pk}").json()
    assert body["name"] == "草厂社区议事会"
    assert (body["place_id"], body["is_active"], body["member_count"]) == (
        city.community.pk,
        True,
        5,
    )
    assert body["charter"]["support_threshold"] == 3
    assert body["charter"]["notice_days"] == 3
    assert body["charter"]["speeches_per_motion"] == 2
    assert [(m["name"], m["role"]) for m in body["members"]] == [
        ("委员1", "chair"),
        ("委员2", "secretary"),
        ("委员3", "resident"),
        ("委员4", "resident"),
        ("委员5", "resident"),
    ]


def test_the_council_list_filters_by_place(board: Board, city: City, personas: Personas) -> None:
    other = actions.create_council(by=personas.sibling, place=city.sibling, name="西街议事会")
    everyone = get(api_as(None), "/councils").json()
    assert [c["id"] for c in everyone["items"]] == [board.council.pk, other.pk]
    assert everyone["next_cursor"] is None
    here = get(api_as(None), f"/councils?place={city.community.pk}").json()
    assert [c["id"] for c in here["items"]] == [board.council.pk]
    street = get(api_as(None), f"/councils?place={city.street.pk}&limit=1").json()
    assert [c["id"] for c in street["items"]] == [board.council.pk]
    second = get(api_as(None), f"/councils?place={city.street.pk}&cursor={street['next_cursor']}")
    assert [c["id"] for c in second.json()["items"]] == [other.pk]
    refused(get(api_as(None), "/councils?place=999999"), 400, "There is no such place.")


def test_creating_a_council_is_the_action(staff: Client, city: City, personas: Personas) -> None:
    response = post(
        staff,
        "/councils",
        {"place": city.courtyard.pk, "name": "十二号院议事会", "notice_days": 5},
    )
    assert response.status_code == 201, response.content
    council = Council.objects.get(pk=response.json()["id"])
    assert (council.place_id, council.notice_days, council.support_threshold) == (
        city.courtyard.pk,
        5,
        5,
    )
    assert AuditEvent.objects.for_object(council).filter(actor=personas.here).count() == 1


@pytest.mark.parametrize(
    ("who", "body", "status", "detail"),
    [
        ("sibling", {"name": "越界"}, 403, "Only the staff over a place create its councils."),
        ("resident", {"name": "越界"}, 403, "Only the staff over a place create its councils."),
        ("here", {"name": ""}, 400, "This cannot be empty."),
        ("here", {"name": "x", "notice_days": 400}, 400, "Give a whole number from 0 to 60."),
        ("here", {"name": "x", "place": 999999}, 400, "There is no such place."),
    ],
)
def test_a_refused_council_leaves_no_trace(
    who: str, body: dict[str, Any], status: int, detail: str, city: City, personas: Personas
) -> None:
    client = api_as(getattr(personas, who))
    with no_trace():
        refused(post(client, "/councils", {"place": city.community.pk, **body}), status, detail)


def test_the_charter_changes_only_what_is_sent(board: Board, staff: Client) -> None:
    response = client_patch(staff, f"/councils/{board.council.pk}/charter", {"notice_days": 7})
    assert response.status_code == 200, response.content
    board.council.refresh_from_db()
    assert (board.council.notice_days, board.council.support_threshold) == (7, 3)
    with no_trace(board.council):
        refused(
            client_patch(staff, f"/councils/{board.council.pk}/charter", {"speech_minutes": 0}),
            400,
            "Give a whole number from 1 to 60.",
        )
        refused(
            client_patch(
                api_as(board.chair.user),
                f"/councils/{board.council.pk}/charter",
                {"notice_days": 1},
            ),
            403,
            "Only the staff over this council's place may do this.",
        )


def client_patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(V1 + url, json.dumps(body), content_type="application/json")


def test_members_are_seated_and_unseated(board: Board, staff: Client, city: City) -> None:
    newcomer = make_user("newcomer", display_name="新委员")
    url = f"/councils/{board.council.pk}/members"
    response = post(staff, url, {"user": newcomer.pk, "role": "unit", "organization": city.unit.pk})
    assert response.status_code == 201, response.content
    seat = response.json()["members"][-1]
    assert (seat["name"], seat["role"], seat["organization_name"]) == (
        "新委员",
        "unit",
        "Qianmen Culture Co.",
    )
    with no_trace():
        refused(post(staff, url, {"user": newcomer.pk, "role": "resident"}), 409)
        refused(post(staff, url, {"user": 999999, "role": "resident"}), 400)
        refused(post(staff, url, {"user": newcomer.pk, "role": "unit"}), 400)
    member = CouncilMember.objects.get(user=newcomer)
    response = post(staff, f"{url}/{member.pk}/remove")
    assert response.status_code == 200
    assert newcomer.display_name not in [m["name"] for m in response.json()["members"]]
    member.refresh_from_db()
    assert member.left_at is not None
    with no_trace(member):
        refused(post(staff, f"{url}/{member.pk}/remove"), 409)
        refused(post(api_as(board.chair.user), f"{url}/{board.members[4].pk}/remove"), 403)


# ── Proposals ─────────────────────────────────────────────────────────────────────────────


def test_a_proposal_is_raised_supported_and_screened(
    board: Board, staff: Client, resident: Client, personas: Personas
) -> None:
    council = board.council.pk
    response = post(
        resident, f"/councils/{council}/proposals", {"title": "加装晾衣架", "body": "楼前空地"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["proposer_name"], body["support_count"]) == (
        "raised",
        "王秀兰",
        0,
    )
    pid = body["id"]
    public = get(api_as(personas.stranger), f"/proposals/{pid}").json()
    assert (public["proposer_id"], public["proposer_name"]) == (None, None)
    assert get(staff, f"/proposals/{pid}").json()["proposer_name"] == "王秀兰"
    for member in board.members[:3]:
        body = post(api_as(member.user), f"/proposals/{pid}/support").json()
    assert body["support_count"] == 3 and body["screen_due_at"] is not None
    assert body["support_threshold"] == 3 and body["screening_overdue"] is False
    with no_trace(Proposal.objects.get(pk=pid)):
        refused(post(api_as(board.members[0].user), f"/proposals/{pid}/support"), 409)
        refused(post(api_as(None), f"/proposals/{pid}/support"), 401)
        refused(post(api_as(personas.stranger), f"/proposals/{pid}/withdraw"), 403)
        refused(post(resident, f"/proposals/{pid}/screen"), 403)
    body = post(staff, f"/proposals/{pid}/screen").json()
    assert body["status"] == "on_agenda" and body["screened_at"] is not None
    listed = get(api_as(None), f"/councils/{council}/proposals?status=on_agenda").json()
    assert [p["id"] for p in listed["items"]] == [pid]
    assert listed["items"][0]["proposer_name"] is None
    assert get(api_as(None), f"/councils/{council}/proposals?status=raised").json()["items"] == []


def test_a_proposal_is_declined_or_withdrawn(board: Board, staff: Client, resident: Client) -> None:
    url = f"/councils/{board.council.pk}/proposals"
    first = post(resident, url, {"title": "甲", "body": "甲"}).json()["id"]
    second = post(resident, url, {"title": "乙", "body": "乙"}).json()["id"]
    with no_trace(Proposal.objects.get(pk=first)):
        refused(post(staff, f"/proposals/{first}/decline", {"reason": " "}), 400)
    body = post(staff, f"/proposals/{first}/decline", {"reason": "属于法院管辖"}).json()
    assert (body["status"], body["decline_reason"]) == ("declined", "属于法院管辖")
    assert post(resident, f"/proposals/{second}/withdraw").json()["status"] == "withdrawn"
    with no_trace(Proposal.objects.get(pk=second)):
        refused(post(resident, f"/proposals/{second}/withdraw"), 409)


def test_a_proposal_from_a_demand_needs_a_demand_the_caller_sees(
    board: Board,
    resident: Client,
    personas: Personas,
    catalogue: Catalogue,  # noqa: F811  (the demands fixture)
    city: City,
) -> None:
    from courtyard.demands import actions as demand_actions

    demand = demand_actions.submit_demand(
        by=personas.resident,
        channel="web",
        place=city.courtyard,
        category=catalogue.streetlight,
        description="路灯不亮",
        requester=personas.resident,
    )
    url = f"/councils/{board.council.pk}/proposals"
    with no_trace():
        refused(
            post(api_as(personas.stranger), url, {"title": "t", "body": "b", "demand": demand.pk}),
            400,
            "You have no demand with this number.",
        )
        refused(
            post(resident, url, {"title": "t", "body": "b", "organization": city.unit.pk}),
            400,
            "You do not act for this organization.",
        )
    body = post(resident, url, {"title": "路灯", "body": "路灯不亮", "demand": demand.pk}).json()
    assert body["demand_id"] == demand.pk
    assert get(api_as(None), f"/proposals/{body['id']}").json()["demand_id"] is None


# ── Meetings, votes, resolutions: the whole path ──────────────────────────────────────────


def _on_agenda(board: Board, personas: Personas) -> Proposal:
    proposal = actions.raise_proposal(
        board.council, by=personas.resident, title="加装晾衣架", body="楼前空地加装晾衣架。"
    )
    return actions.screen_proposal(proposal, by=personas.here)


def test_a_meeting_decides_and_the_resolution_is_carried_out(
    board: Board,
    staff: Client,
    secretary: Client,
    resident: Client,
    personas: Personas,
    catalogue: Catalogue,  # noqa: F811  (the demands fixture)
) -> None:
    proposal = _on_agenda(board, personas)
    now = timezone.now()
    start = now + timedelta(days=4)
    council = board.council.pk
    meeting = post(
        staff,
        f"/councils/{council}/meetings",
        {"title": "第一次议事会", "location": "草厂四条44号院", "starts_at": start.isoformat()},
    )
    assert meeting.status_code == 201, meeting.content
    mid = meeting.json()["id"]
    assert meeting.json()["status"] == "draft"
    assert get(api_as(None), f"/meetings/{mid}").status_code == 404  # drafts are staff's
    with no_trace(Meeting.objects.get(pk=mid)):
        refused(post(staff, f"/meetings/{mid}/announce"), 409)  # no motion yet
    body = post(staff, f"/meetings/{mid}/motions", {"proposal": proposal.pk}).json()
    [motion] = body["motions"]
    assert (motion["title"], motion["proposal_id"], motion["position"]) == (
        "加装晾衣架",
        proposal.pk,
        1,
    )
    post(staff, f"/meetings/{mid}/motions", {"title": "其他事项"})
    assert post(staff, f"/meetings/{mid}/announce").json()["status"] == "announced"
    assert get(api_as(None), f"/councils/{council}/meetings").json()["items"][0]["id"] == mid

    with time_machine.travel(start, tick=False):
        with no_trace(Meeting.objects.get(pk=mid)):
            refused(post(resident, f"/meetings/{mid}/open"), 403)
        assert post(secretary, f"/meetings/{mid}/open").json()["status"] == "in_progress"
        present = [m.pk for m in board.members[:4]]
        body = post(secretary, f"/meetings/{mid}/attendance", {"members": present}).json()
        assert [p["member_id"] for p in body["present"]] == present
        mo = motion["id"]
        post(secretary, f"/motions/{mo}/debate")
        speaker = {"member": board.members[2].pk, "stance": "for"}
        post(secretary, f"/motions/{mo}/floor", speaker)
        body = post(secretary, f"/motions/{mo}/floor", speaker).json()
        speeches = body["motions"][0]["speeches"]
        assert [(s["order"], s["member_name"]) for s in speeches] == [(1, "委员3"), (2, "委员3")]
        assert speeches[0]["ended_at"] is not None and speeches[1]["ended_at"] is None
        with no_trace():
            refused(post(secretary, f"/motions/{mo}/floor", speaker), 409)
        body = post(secretary, f"/speeches/{speeches[1]['id']}/end").json()
        assert body["motions"][0]["speeches"][1]["seconds"] == 0
        other = body["motions"][1]["id"]
        assert post(secretary, f"/motions/{other}/defer").json()["motions"][1]["status"] == (
            "deferred"
        )

        vote = post(secretary, f"/councils/{council}/votes", {"motion": mo})
        assert vote.status_code == 201, vote.content
        vid = vote.json()["id"]
        body = post(secretary, f"/votes/{vid}/open").json()
        assert (body["status"], body["voter_count"], body["rule"]) == ("open", 5, "majority")
        assert body["counts"] is None  # results hidden until the close (the charter default)
        hands = [
            {"member": m.pk, "choice": c}
            for m, c in zip(board.members[:4], ["yes", "yes", "yes", "no"], strict=True)
        ]
        with no_trace():
            absent = [{"member": board.members[4].pk, "choice": "yes"}]
            refused(post(secretary, f"/votes/{vid}/hands", {"choices": absent}), 409)
        body = post(secretary, f"/votes/{vid}/hands", {"choices": hands}).json()
        assert (body["ballot_count"], body["counts"]) == (4, None)
        refused(get(api_as(None), f"/votes/{vid}/result"), 409)
        body = post(secretary, f"/votes/{vid}/close").json()
        assert (body["status"], body["passed"], body["counts"]) == (
            "closed",
            True,
            {"yes": 3, "no": 1, "abstain": 0},
        )
        result = get(api_as(None), f"/votes/{vid}/result").json()
        assert (result["yes"], result["participants"], result["members"]) == (3, 4, 5)
        assert result["reasons"][-1] == "Passed: every condition is met."

        resolution = Resolution.objects.get(vote_id=vid)
        rid = resolution.pk
        assert get(api_as(None), f"/resolutions/{rid}").status_code == 404  # a draft
        body = post(api_as(board.chair.user), f"/resolutions/{rid}/sign").json()
        assert (body["signature_count"], body["signatures_needed"]) == (1, 3)
        with no_trace(resolution):
            refused(post(resident, f"/resolutions/{rid}/sign"), 404)  # may not see a draft
            refused(post(staff, f"/resolutions/{rid}/publish"), 409)  # 1 of 3 signatures
            refused(post(api_as(board.chair.user), f"/resolutions/{rid}/sign"), 409)
        for member in board.members[1:3]:
            post(secretary, f"/resolutions/{rid}/signatures", {"member": member.pk})
        body = post(staff, f"/resolutions/{rid}/publish").json()
        assert body["status"] == "published" and body["objections_open"] is True
        assert [s["on_paper"] for s in body["signatures"]] == [False, True, True]
        objection = post(resident, f"/resolutions/{rid}/objections", {"reason": "占用消防通道"})
        assert objection.status_code == 201
        assert objection.json()["objection_count"] == 1
        assert objection.json()["objections"] is None  # the objector sees the count only
        assert get(staff, f"/resolutions/{rid}").json()["objections"][0]["name"] == "王秀兰"
        assert get(api_as(None), f"/resolutions/{rid}").json()["objections"] is None
        with no_trace(Resolution.objects.get(pk=rid)):
            refused(post(api_as(personas.stranger), f"/resolutions/{rid}/objections",
                         {"reason": "x"}), 403)  # fmt: skip
            refused(post(resident, f"/resolutions/{rid}/objections", {"reason": "x"}), 409)
        body = post(secretary, f"/meetings/{mid}/close", {"minutes": "通过晾衣架方案。"}).json()
        assert (body["status"], body["minutes"]) == ("closed", "通过晾衣架方案。")

    later = start + timedelta(days=10)
    with time_machine.travel(later, tick=False):
        assert actions.check_council_clocks().in_effect == 1
        due = (later + timedelta(days=30)).isoformat()
        body = post(
            staff,
            f"/resolutions/{rid}/tasks",
            {"title": "采购晾衣架", "due_at": due, "owner": board.chair.user.pk},
        ).json()
        [task] = body["tasks"]
        assert (task["owner_name"], task["status"]) == ("委员1", "open")
        assert get(api_as(None), f"/resolutions/{rid}").json()["tasks"][0]["owner_name"] is None
        body = post(
            staff,
            f"/resolutions/{rid}/tasks",
            {"title": "修路灯", "due_at": due, "organization": catalogue.department.pk},
        ).json()
        lamp = body["tasks"][1]["id"]
        with no_trace():
            refused(post(staff, f"/tasks/{lamp}/dispatch", {"category": "nope"}), 400)
            refused(post(resident, f"/tasks/{task['id']}/complete"), 403)
        body = post(staff, f"/tasks/{lamp}/dispatch", {"category": "streetlight"}).json()
        dispatched = body["tasks"][1]
        assert dispatched["status"] == "dispatched"
        assert Demand.objects.get(pk=dispatched["demand_id"]).assignee == catalogue.department
        body = post(api_as(board.chair.user), f"/tasks/{task['id']}/complete", {"note": "已安装"})
        body = body.json()
        assert (body["tasks_total"], body["tasks_done"], body["status"]) == (2, 1, "in_effect")
        assert post(staff, f"/tasks/{lamp}/complete").json()["status"] == "done"
        evaluation = post(resident, f"/resolutions/{rid}/evaluations", {"rating": "satisfied"})
        assert evaluation.status_code == 201
        assert evaluation.json()["evaluations"] == {
            "satisfied": 1,
            "basic": 0,
            "not_satisfied": 0,
        }
        with no_trace():
            refused(post(resident, f"/resolutions/{rid}/evaluations", {"rating": "basic"}), 409)
            refused(post(api_as(personas.stranger), f"/resolutions/{rid}/evaluations",
                         {"rating": "basic"}), 403)  # fmt: skip
    listed = get(api_as(None), f"/resolutions?council={council}&status=done").json()
    assert [(r["id"], r["tasks_total"], r["tasks_done"]) for r in listed["items"]] == [(rid, 2, 2)]


def test_a_meeting_without_the_notice_period_is_refused(board: Board, staff: Client) -> None:
    start = timezone.now() + timedelta(days=1)
    mid = post(
        staff,
        f"/councils/{board.council.pk}/meetings",
        {"title": "临时会", "location": "居委会", "starts_at": start.isoformat()},
    ).json()["id"]
    post(staff, f"/meetings/{mid}/motions", {"title": "议题"})
    with no_trace(Meeting.objects.get(pk=mid)):
        response = post(staff, f"/meetings/{mid}/announce")
        refused(response, 409)
        assert response.json()["detail"].startswith("The charter asks for 3 days' notice")
    assert post(staff, f"/meetings/{mid}/cancel").json()["status"] == "cancelled"


def test_an_agenda_item_not_screened_is_refused(
    board: Board, staff: Client, personas: Personas
) -> None:
    proposal = actions.raise_proposal(board.council, by=personas.resident, title="t", body="b")
    start = timezone.now() + timedelta(days=5)
    mid = post(
        staff,
        f"/councils/{board.council.pk}/meetings",
        {"title": "会", "location": "居委会", "starts_at": start.isoformat()},
    ).json()["id"]
    with no_trace(Meeting.objects.get(pk=mid)):
        refused(post(staff, f"/meetings/{mid}/motions", {"proposal": proposal.pk}), 409)


# ── Online and secret votes ───────────────────────────────────────────────────────────────


def _online_vote(board: Board, personas: Personas, now: datetime) -> Vote:
    vote = actions.create_vote(
        board.council,
        by=personas.here,
        title="是否延长开放时间",
        online_opens_at=now - timedelta(minutes=1),
        online_closes_at=now + timedelta(hours=1),
    )
    return actions.open_vote(vote, by=personas.here)


def test_an_online_ballot_is_cast_and_changed_within_the_window(
    board: Board, secretary: Client, personas: Personas
) -> None:
    now = timezone.now()
    vote = _online_vote(board, personas, now)
    voter = api_as(board.members[3].user)
    body = post(voter, f"/votes/{vote.pk}/ballot", {"choice": "yes"}).json()
    assert body["my_ballot"]["choice"] == "yes" and body["my_ballot"]["method"] == "online"
    assert (body["ballot_count"], body["counts"]) == (1, None)
    body = post(voter, f"/votes/{vote.pk}/ballot", {"choice": "no"}).json()
    assert (body["my_ballot"]["choice"], body["ballot_count"]) == ("no", 1)
    assert AuditEvent.objects.filter(verb="ballot_changed").count() == 1
    assert get(api_as(None), f"/votes/{vote.pk}").json()["my_ballot"] is None
    with no_trace(vote):
        refused(
            post(api_as(personas.stranger), f"/votes/{vote.pk}/ballot", {"choice": "yes"}),
            403,
            "You are not on the electorate of this vote.",
        )
        refused(post(voter, f"/votes/{vote.pk}/ballot", {"choice": "maybe"}), 400)
        refused(post(secretary, f"/votes/{vote.pk}/close"), 409)  # the window still runs
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        with no_trace(vote):
            refused(post(voter, f"/votes/{vote.pk}/ballot", {"choice": "yes"}), 409)
        body = post(secretary, f"/votes/{vote.pk}/close").json()
    assert (body["status"], body["passed"], body["counts"]["no"]) == ("closed", False, 1)


def test_a_secret_vote_never_shows_a_choice(
    board: Board, secretary: Client, personas: Personas
) -> None:
    actions.change_charter(
        board.council, by=personas.here, secret_ballots=True, results_hidden_until_close=False
    )
    vote = _online_vote(board, personas, timezone.now())
    assert vote.secret is True
    voter = api_as(board.members[3].user)
    body = post(voter, f"/votes/{vote.pk}/ballot", {"choice": "yes"}).json()
    assert body["my_ballot"]["choice"] is None
    # The charter shows results while a vote runs, but a secret vote's live counts would
    # tell, ballot by ballot, how each voter voted: they stay hidden until the close.
    assert vote.results_hidden is True and body["counts"] is None
    assert Ballot.objects.get(vote=vote).choice == ""
    assert SecretCount.objects.get(vote=vote, choice="yes").count == 1
    with no_trace():
        refused(post(voter, f"/votes/{vote.pk}/ballot", {"choice": "no"}), 409)
        refused(post(secretary, f"/votes/{vote.pk}/hands", {"choices": []}), 409)
    voters = get(secretary, f"/votes/{vote.pk}/voters").json()["items"]
    assert [v["voted"] for v in voters].count(True) == 1
    assert "choice" not in voters[0]


def test_a_cancelled_vote(board: Board, secretary: Client, personas: Personas) -> None:
    vote = actions.create_vote(board.council, by=personas.here, title="撤回的表决")
    assert post(secretary, f"/votes/{vote.pk}/cancel").json()["status"] == "cancelled"
    with no_trace(vote):
        refused(post(secretary, f"/votes/{vote.pk}/open"), 409)


# ── Owners' rolls and owners' votes ───────────────────────────────────────────────────────

PARTS = [
    {"part": "1-101", "area": "85.50", "owner_id": "O1", "owner_name": "业主甲"},
    {"part": "1-102", "area": "60.00", "owner_id": "O1", "owner_name": "业主甲"},
    {"part": "1-201", "area": "90.25", "owner_id": "O2", "owner_name": "业主乙"},
]


def test_a_roll_is_imported_from_json_and_read_by_staff_only(
    board: Board, staff: Client, secretary: Client, resident: Client
) -> None:
    url = f"/councils/{board.council.pk}/rolls"
    response = post(staff, url, {"name": "12号院", "parts": PARTS})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["part_count"], body["owner_count"], body["total_area"]) == (
        3,
        2,
        "235.75",
    )
    roll = body["id"]
    assert get(staff, f"/rolls/{roll}").json()["name"] == "12号院"
    parts = get(staff, f"/rolls/{roll}/parts").json()["items"]
    assert [(p["part"], p["owner_name"]) for p in parts] == [
        ("1-101", "业主甲"),
        ("1-102", "业主甲"),
        ("1-201", "业主乙"),
    ]
    for client in (secretary, resident, api_as(None)):
        refused(get(client, f"/rolls/{roll}"), 404)
        refused(get(client, f"/rolls/{roll}/parts"), 404)
        refused(get(client, url), 404)
    assert [r["id"] for r in get(staff, url).json()["items"]] == [roll]


def test_bad_rows_are_numbered_and_nothing_is_stored(board: Board, staff: Client) -> None:
    url = f"/councils/{board.council.pk}/rolls"
    bad = [*PARTS, {**PARTS[0]}, {**PARTS[2], "part": "1-301", "area": "-3"}]
    with no_trace():
        response = post(staff, url, {"name": "坏名册", "parts": bad})
        refused(response, 400)
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [4, 5]
    assert errors[0]["message"] == 'part "1-101" is already on line 2'
    assert response.json()["detail"].startswith("The roll was not imported (2 bad rows): part 4:")
    csv = "part,area,owner_id,owner_name\n1-101,85.5,O1,甲\n1-102,abc,O2,乙\n"
    upload = SimpleUploadedFile("roll.csv", csv.encode(), content_type="text/csv")
    with no_trace():
        response = staff.post(V1 + url + "/csv", {"name": "坏名册", "file": upload})
        refused(response, 400)
    assert [e["line"] for e in response.json()["errors"]] == [3]
    assert response.json()["detail"].startswith("The roll was not imported (1 bad rows): line 3:")
    with no_trace():
        refused(post(api_as(board.chair.user), url, {"name": "x", "parts": PARTS}), 403)


def test_an_owners_vote_from_a_csv_roll(
    board: Board, staff: Client, secretary: Client, personas: Personas
) -> None:
    csv = "\ufeffpart,area,owner_id,owner_name\n" + "".join(
        f"{p['part']},{p['area']},{p['owner_id']},{p['owner_name']}\n" for p in PARTS
    )
    upload = SimpleUploadedFile("roll.csv", csv.encode(), content_type="text/csv")
    url = f"/councils/{board.council.pk}/rolls/csv"
    response = staff.post(V1 + url, {"name": "12号院", "file": upload})
    assert response.status_code == 201, response.content
    roll = OwnersRoll.objects.get(pk=response.json()["id"])
    assert ExclusivePart.objects.filter(roll=roll).count() == 3
    body = post(
        staff,
        f"/councils/{board.council.pk}/votes",
        {"roll": roll.pk, "matter": "4", "title": "续聘物业"},
    ).json()
    vid = body["id"]
    body = post(staff, f"/votes/{vid}/open").json()
    assert (body["rule"], body["secret"], body["voter_count"]) == ("owners_ordinary", False, 2)
    seen_by_staff = get(staff, f"/votes/{vid}/voters").json()["items"]
    assert [(v["key"], v["name"], v["area"], v["parts"]) for v in seen_by_staff] == [
        ("O1", "业主甲", "145.50", 2),
        ("O2", "业主乙", "90.25", 1),
    ]
    # An owners' vote lists owners (personal data): only the staff over the place run it.
    refused(get(secretary, f"/votes/{vid}/voters"), 403)
    refused(get(api_as(personas.resident), f"/votes/{vid}/voters"), 403)
    first = seen_by_staff[0]["id"]
    paper = {"voter": first, "choice": "yes", "paper_ref": "P-001"}
    with no_trace():
        refused(post(secretary, f"/votes/{vid}/paper", paper), 403)
    body = post(staff, f"/votes/{vid}/paper", paper).json()
    assert body["ballot_count"] == 1
    with no_trace():
        refused(post(staff, f"/votes/{vid}/paper", paper), 409)
        refused(post(staff, f"/votes/{vid}/paper", {**paper, "voter": 999999}), 400)
        second = {"voter": seen_by_staff[1]["id"], "choice": "no", "paper_ref": "P-001"}
        refused(post(staff, f"/votes/{vid}/paper", second), 409)
    voters = get(staff, f"/votes/{vid}/voters").json()["items"]
    assert [(v["voted"], v["method"]) for v in voters] == [(True, "paper"), (False, None)]


# ── Query counts and the OpenAPI document ─────────────────────────────────────────────────


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = get(client, url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _grow(board: Board, personas: Personas, city: City, n: int) -> None:
    """n more of everything the lists show."""
    for i in range(n):
        actions.create_council(by=personas.here, place=city.courtyard, name=f"院{i}")
        proposal = actions.raise_proposal(
            board.council, by=personas.resident, title=f"议题{i}", body="b",
            organization=None,
        )  # fmt: skip
        actions.support_proposal(proposal, by=board.chair.user)
        meeting = actions.schedule_meeting(
            board.council, by=personas.here, title=f"会{i}", location="居委会",
            starts_at=timezone.now() + timedelta(days=10 + i),
        )  # fmt: skip
        actions.add_motion(meeting, by=personas.here, title="议题")
        actions.announce_meeting(meeting, by=personas.here)
        vote = actions.create_vote(
            board.council, by=personas.here, title=f"表决{i}",
            online_opens_at=timezone.now() - timedelta(minutes=1),
            online_closes_at=timezone.now() + timedelta(hours=1),
        )  # fmt: skip
        actions.open_vote(vote, by=personas.here)
        actions.cast_ballot(vote, by=board.chair.user, choice="yes")
        Resolution.objects.create(
            council=board.council, place_path=board.council.place_path, title=f"决议{i}",
            text="t", status="published",
        )  # fmt: skip


@pytest.mark.parametrize("persona", ["here", "resident", "anonymous"])
def test_lists_cost_the_same_queries_for_one_or_many(
    persona: str, board: Board, personas: Personas, city: City
) -> None:
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = api_as(user)
    council = board.council.pk
    urls = [
        "/councils",
        f"/councils/{council}/proposals",
        f"/councils/{council}/meetings",
        f"/councils/{council}/votes",
        "/resolutions",
        f"/resolutions?council={council}",
    ]
    _grow(board, personas, city, 1)
    _queries(client, "/councils")  # the token's first use of the test stamps last_used_at
    one = {url: _queries(client, url) for url in urls}
    _grow(board, personas, city, 4)
    many = {url: _queries(client, url) for url in urls}
    assert many == one
    assert max(many.values()) <= 6  # token/session, scope, the page, a count or two


def test_details_cost_a_fixed_number_of_queries(
    board: Board, staff: Client, personas: Personas, city: City, django_assert_max_num_queries: Any
) -> None:
    _grow(board, personas, city, 3)
    meeting = Meeting.objects.filter(council=board.council).first()
    assert meeting is not None
    resolution = Resolution.objects.filter(council=board.council).first()
    assert resolution is not None
    for url, limit in [
        (f"/councils/{board.council.pk}", 5),
        (f"/meetings/{meeting.pk}", 7),
        (f"/resolutions/{resolution.pk}", 10),
    ]:
        with django_assert_max_num_queries(limit):
            assert get(staff, url).status_code == 200


def test_the_openapi_document_builds_with_every_council_operation() -> None:
    response = Client().get(V1 + "/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/councils",
        "/api/v1/councils/{council_id}/charter",
        "/api/v1/councils/{council_id}/rolls/csv",
        "/api/v1/meetings/{meeting_id}/attendance",
        "/api/v1/votes/{vote_id}/result",
        "/api/v1/tasks/{task_id}/dispatch",
    ]:
        assert path in paths, path
    assert "patch" in paths["/api/v1/councils/{council_id}/charter"]
