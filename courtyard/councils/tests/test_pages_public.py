"""The public council pages: councils within a place, a council's page, proposals (raise,
from a demand, support, withdraw, screen, decline), resolutions (sign, publish, object,
tasks, dispatch, evaluate). Exact values, refusals that leave no trace, personal data,
escaping and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import City, Personas, make_user
from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils.models import (
    Council,
    CouncilMember,
    Objection,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    TaskStatus,
)
from courtyard.councils.tests.conftest import Board
from courtyard.demands.tests.conftest import Catalogue, catalogue  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# The states a resolution is brought to by `resolution_in`.
DRAFT, SIGNED, PUBLISHED, IN_EFFECT = "draft", "signed", "published", "in_effect"


def raised(board: Board, by: Any, title: str = "院内加装晾衣架", **kw: Any) -> Proposal:
    return actions.raise_proposal(
        board.council, by=by, title=title, body="楼前空地加装晾衣架。", **kw
    )


def resolution_in(
    board: Board, personas: Personas, state: str, title: str = "加装晾衣架"
) -> Resolution:
    """A resolution passed at a meeting a month ago (the resident raised its proposal),
    brought to `state`: draft (one signature), signed (enough to publish), published (now,
    objections open) or in effect (published back then, the clocks swept)."""
    base = timezone.now() - timedelta(days=30)
    proposal = raised(board, personas.resident, title)
    actions.screen_proposal(proposal, by=personas.here, now=base)
    start = base + timedelta(days=4)
    meeting = actions.schedule_meeting(
        board.council,
        by=personas.here,
        title="议事会",
        location="活动室",
        starts_at=start,
        now=base,
    )
    motion = actions.add_motion(meeting, by=personas.here, proposal=proposal, now=base)
    actions.announce_meeting(meeting, by=personas.here, now=base)
    secretary = board.secretary.user
    actions.open_meeting(meeting, by=secretary, now=start)
    actions.record_attendance(meeting, by=secretary, members=board.members[:4], now=start)
    vote = actions.create_vote(board.council, by=secretary, motion=motion, now=start)
    vote = actions.open_vote(vote, by=secretary, now=start)
    voters = {v.key: v for v in vote.voters.all()}
    actions.record_hands(
        vote,
        by=secretary,
        choices={voters[f"member:{m.pk}"]: "yes" for m in board.members[:4]},
        now=start,
    )
    actions.close_vote(vote, by=secretary, now=start)
    resolution = Resolution.objects.get(vote=vote)
    actions.sign_resolution(resolution, by=board.chair.user, now=start)
    if state == DRAFT:
        return Resolution.objects.get(pk=resolution.pk)
    for member in board.members[1:3]:
        actions.record_signature(resolution, by=secretary, member=member, now=start)
    if state == PUBLISHED:
        actions.publish_resolution(resolution, by=personas.here)
    elif state == IN_EFFECT:
        actions.publish_resolution(resolution, by=personas.here, now=start)
        actions.check_council_clocks(now=timezone.now())
    return Resolution.objects.get(pk=resolution.pk)


@pytest.fixture
def client_for() -> Any:
    """Clients that read the pages in English (the phrases are asserted word for word)."""

    def make(user: Any) -> Client:
        client = Client(headers={"accept-language": "en"})
        if user is not None:
            client.force_login(user)
        return client

    return make


def page(client: Any, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


# ── Councils ─────────────────────────────────────────────────────────────────────────────


def test_the_place_page_and_the_menu_link_to_the_councils(city: City, client_for: Any) -> None:
    html = page(client_for(None), f"/places/{city.community.pk}/")
    assert f'href="/councils/?place={city.community.pk}"' in html
    assert 'href="/councils/"' in html


def test_councils_within_a_place_in_keyset_pages(
    city: City,
    personas: Personas,
    client_for: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    settings.PAGE_SIZE = 2
    for name in ("甲议事会", "乙议事会", "丙议事会"):
        actions.create_council(by=personas.here, place=city.community, name=name)
    actions.create_council(by=personas.sibling, place=city.sibling, name="邻居议事会")
    client = client_for(None)
    with django_assert_max_num_queries(4):
        first = client.get(f"/councils/?place={city.community.pk}")
    html = first.content.decode()
    assert first.context["page"].next_cursor is not None
    assert [c.name for c in first.context["page"].items] == ["丙议事会", "乙议事会"]
    assert "邻居议事会" not in html and "Create a council here" not in html
    cursor = first.context["page"].next_cursor
    second = client.get(f"/councils/?place={city.community.pk}&cursor={cursor}")
    assert [c.name for c in second.context["page"].items] == ["甲议事会"]
    assert page(client, "/councils/?place=x", 404)


def test_staff_create_a_council_where_they_administer(
    city: City, personas: Personas, client_for: Any
) -> None:
    client = client_for(personas.here)
    assert "Create a council here" in page(client, f"/councils/?place={city.community.pk}")
    response = client.post(
        f"/councils/new/?place={city.community.pk}", {"name": "草厂议事会", "description": ""}
    )
    council = Council.objects.get(name="草厂议事会")
    assert response.status_code == 302 and response["Location"] == f"/councils/{council.pk}/"
    assert (council.place, council.place_path) == (city.community, city.community.path)
    # The sibling's worker may not, and sees the form as missing.
    other = client_for(personas.sibling)
    assert other.get(f"/councils/new/?place={city.community.pk}").status_code == 404
    assert other.post(f"/councils/new/?place={city.community.pk}", {"name": "x"}).status_code == 404
    assert Council.objects.count() == 1


def test_the_council_page_shows_charter_members_and_open_work(
    board: Board, personas: Personas, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    resolution_in(board, personas, IN_EFFECT, title="已生效决议")
    raised(board, personas.resident, title="公开议题")
    for i in range(3):
        raised(board, personas.handler, title=f"更多议题{i}")
    client = client_for(None)
    url = f"/councils/{board.council.pk}/"
    with django_assert_max_num_queries(5):
        html = page(client, url)
    assert "委员1" in html and "chair" in html and "secretary" in html
    assert "公开议题" in html and "0 of 3 supporters" in html
    assert "已生效决议" in html and "in effect" in html
    assert "王秀兰" not in html and "陈联络员" not in html  # proposers stay private
    assert "Seat a member" not in html and "Change the charter" not in html
    # The same number of queries with more of everything.
    resolution_in(board, personas, DRAFT, title="草稿决议")
    for i in range(5):
        raised(board, personas.resident, title=f"再多议题{i}")
    with django_assert_max_num_queries(5):
        html = page(client, url)
    assert "草稿决议" not in html  # drafts are for the members and the staff
    staff = page(client_for(personas.here), url)
    assert "草稿决议" in staff and "Seat a member" in staff and "Change the charter" in staff


def test_staff_seat_and_unseat_members_and_change_the_charter(
    board: Board, city: City, personas: Personas, client_for: Any
) -> None:
    client = client_for(personas.here)
    council = board.council
    response = client.post(
        f"/councils/{council.pk}/members/add/",
        {"username": personas.handler.username, "role": "unit", "organization": ""},
    )
    assert response.status_code == 400  # a unit's representative names the unit
    assert "Say which organization this member represents." in response.content.decode()
    assert not CouncilMember.objects.filter(user=personas.handler).exists()
    response = client.post(
        f"/councils/{council.pk}/members/add/",
        {
            "username": personas.handler.username,
            "role": "unit",
            "organization": city.sibling_unit.pk,
        },
    )
    assert response.status_code == 400  # a unit of another community
    assert "Choose one of the units listed." in response.content.decode()
    unit = city.unit
    response = client.post(
        f"/councils/{council.pk}/members/add/",
        {"username": personas.handler.username, "role": "unit", "organization": unit.pk},
    )
    assert response.status_code == 302
    seat = CouncilMember.objects.get(user=personas.handler)
    assert (seat.role, seat.organization, seat.left_at) == ("unit", unit, None)
    response = client.post(f"/councils/{council.pk}/members/{seat.pk}/remove/")
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.left_at is not None

    charter = page(client, f"/councils/{council.pk}/charter/")
    assert 'name="support_threshold"' in charter
    values = {
        "decision_rule": "two_thirds", "notice_days": 5, "publication_working_days": 5,
        "objection_days": 7, "objection_threshold": 4, "support_threshold": 10,
        "screening_days": 15, "meets_every_days": 90, "speech_minutes": 3,
        "speeches_per_motion": 2, "secret_ballots": "on",
    }  # fmt: skip
    assert client.post(f"/councils/{council.pk}/charter/", values).status_code == 302
    council.refresh_from_db()
    assert (council.decision_rule, council.support_threshold, council.secret_ballots) == (
        "two_thirds", 10, True,
    )  # fmt: skip
    assert council.results_hidden_until_close is False  # an unticked box
    bad = client.post(f"/councils/{council.pk}/charter/", {**values, "notice_days": 999})
    assert bad.status_code == 400
    council.refresh_from_db()
    assert council.notice_days == 5


# ── Proposals ────────────────────────────────────────────────────────────────────────────


def test_a_resident_raises_a_proposal_and_others_support_it(
    board: Board, personas: Personas, client_for: Any
) -> None:
    resident = client_for(personas.resident)
    url = f"/councils/{board.council.pk}/proposals/new/"
    assert "On behalf of" not in page(resident, url)  # handles no organization
    response = resident.post(url, {"title": "修缮院门", "body": "院门破损。"})
    proposal = Proposal.objects.get(title="修缮院门")
    assert response["Location"] == f"/councils/proposals/{proposal.pk}/"
    assert (proposal.proposer, proposal.organization, proposal.status) == (
        personas.resident, None, ProposalStatus.RAISED,
    )  # fmt: skip
    own = page(resident, f"/councils/proposals/{proposal.pk}/")
    assert "王秀兰" in own and "Withdraw" in own and "I support it" not in own

    for member in board.members[:3]:
        response = client_for(member.user).post(f"/councils/proposals/{proposal.pk}/support/")
        assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.support_count == 3 and proposal.screen_due_at is not None
    again = client_for(board.members[0].user).post(f"/councils/proposals/{proposal.pk}/support/")
    assert again.status_code == 409
    assert "You already support this proposal." in again.content.decode()
    proposal.refresh_from_db()
    assert proposal.support_count == 3

    public = page(client_for(None), f"/councils/proposals/{proposal.pk}/")
    assert "3 of 3" in public and "To be screened by" in public
    assert timezone.localtime(proposal.screen_due_at).strftime("%Y-%m-%d") in public
    assert "王秀兰" not in public and "a resident" in public
    assert "Log in to support this proposal" in public


def test_a_handler_raises_for_the_unit_and_the_public_sees_the_unit(
    board: Board, city: City, personas: Personas, client_for: Any
) -> None:
    client = client_for(personas.handler)
    url = f"/councils/{board.council.pk}/proposals/new/"
    assert "On behalf of" in page(client, url)
    client.post(
        url, {"title": "共建停车位", "body": "单位腾出车位。", "organization": city.unit.pk}
    )
    proposal = Proposal.objects.get(title="共建停车位")
    assert proposal.organization == city.unit
    public = page(client_for(personas.stranger), f"/councils/proposals/{proposal.pk}/")
    assert city.unit.name_en in public and "陈联络员" not in public
    # Another person cannot raise for a unit they do not handle.
    response = client_for(personas.resident).post(
        url, {"title": "冒名", "body": "x", "organization": city.unit.pk}
    )
    assert response.status_code == 400 and not Proposal.objects.filter(title="冒名").exists()


def test_a_proposal_from_a_demand_the_person_sees_in_full(
    board: Board,
    city: City,
    personas: Personas,
    catalogue: Catalogue,  # noqa: F811
    client_for: Any,
) -> None:
    from courtyard.demands import actions as demand_actions

    demand = demand_actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard,
        category=catalogue.streetlight, description="胡同口路灯不亮", requester=personas.resident,
    )  # fmt: skip
    url = f"/councils/{board.council.pk}/proposals/new/?demand={demand.pk}"
    listing = page(client_for(personas.resident), f"/councils/?demand={demand.pk}")
    assert f'href="{url}"' in listing  # the councils offer to take the demand
    form = page(client_for(personas.resident), url)
    # Filled in with the demand's public summary, never the resident's own words.
    assert demand.public_summary in form and f'name="demand" value="{demand.pk}"' in form
    assert "胡同口路灯不亮" not in form
    # Others who may not see the demand in full: as if it did not exist.
    for persona in (personas.stranger, personas.sibling, personas.handler):
        assert client_for(persona).get(url).status_code == 404
        assert (
            client_for(persona)
            .post(url, {"title": "t", "body": "b", "demand": demand.pk})
            .status_code
            == 404
        )
    assert not Proposal.objects.exists()
    # A council elsewhere does not take it.
    elsewhere = actions.create_council(by=personas.sibling, place=city.sibling, name="邻居议事会")
    far = f"/councils/{elsewhere.pk}/proposals/new/?demand={demand.pk}"
    assert client_for(personas.resident).get(far).status_code == 404
    # The staff over the place may make it (they see it in full).
    response = client_for(personas.here).post(
        url, {"title": "路灯议题", "body": "胡同口路灯不亮", "demand": demand.pk}
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and proposal.demand == demand
    assert proposal.proposer == personas.here
    twice = client_for(personas.resident).post(
        url, {"title": "再一次", "body": "x", "demand": demand.pk}
    )
    assert twice.status_code == 409, twice.content.decode()[-3000:]
    assert Proposal.objects.count() == 1


def test_staff_screen_or_decline_and_the_proposer_withdraws(
    board: Board, personas: Personas, client_for: Any
) -> None:
    first, second, third = (raised(board, personas.resident, title=t) for t in ("一", "二", "三"))
    staff = client_for(personas.here)
    page_html = page(staff, f"/councils/proposals/{first.pk}/")
    assert "Put on the agenda" in page_html and "王秀兰" in page_html
    assert staff.post(f"/councils/proposals/{first.pk}/screen/").status_code == 302
    first.refresh_from_db()
    assert first.status == ProposalStatus.ON_AGENDA

    empty = staff.post(f"/councils/proposals/{second.pk}/decline/", {"reason": ""})
    assert empty.status_code == 400
    second.refresh_from_db()
    assert second.status == ProposalStatus.RAISED
    staff.post(f"/councils/proposals/{second.pk}/decline/", {"reason": "属于物业职责"})
    second.refresh_from_db()
    assert (second.status, second.decline_reason) == (ProposalStatus.DECLINED, "属于物业职责")
    assert "属于物业职责" in page(client_for(None), f"/councils/proposals/{second.pk}/")

    # Only the proposer withdraws; others see no such step (404).
    assert (
        client_for(personas.stranger).post(f"/councils/proposals/{third.pk}/withdraw/").status_code
        == 404
    )
    assert (
        client_for(personas.resident).post(f"/councils/proposals/{third.pk}/withdraw/").status_code
        == 302
    )
    third.refresh_from_db()
    assert third.status == ProposalStatus.WITHDRAWN
    # A step another took first: a clear refusal, nothing changed.
    late = staff.post(f"/councils/proposals/{third.pk}/screen/")
    assert late.status_code == 409 and "withdrawn" in late.content.decode()


def test_an_overdue_screening_shows_a_badge(
    board: Board, personas: Personas, client_for: Any
) -> None:
    long_ago = timezone.now() - timedelta(days=40)
    proposal = raised(board, personas.resident, now=long_ago)
    for member in board.members[:3]:
        actions.support_proposal(proposal, by=member.user, now=long_ago)
    html = page(client_for(None), f"/councils/proposals/{proposal.pk}/")
    assert "Screening overdue" in html
    assert "Screening overdue" in page(client_for(None), f"/councils/{board.council.pk}/")


def test_proposal_list_in_keyset_pages(
    board: Board,
    personas: Personas,
    client_for: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    settings.PAGE_SIZE = 3
    for i in range(5):
        raised(board, personas.resident, title=f"议题{i}")
    client = client_for(None)
    with django_assert_max_num_queries(3):
        first = client.get(f"/councils/{board.council.pk}/proposals/")
    titles = [p.title for p in first.context["page"].items]
    cursor = first.context["page"].next_cursor
    second = client.get(f"/councils/{board.council.pk}/proposals/?cursor={cursor}")
    titles += [p.title for p in second.context["page"].items]
    assert sorted(titles) == [f"议题{i}" for i in range(5)] and len(set(titles)) == 5
    narrowed = client.get(f"/councils/{board.council.pk}/proposals/?status=declined")
    assert narrowed.context["page"].items == []


def test_titles_and_bodies_are_escaped(board: Board, personas: Personas, client_for: Any) -> None:
    proposal = actions.raise_proposal(board.council, by=personas.resident, title=XSS, body=XSS)
    resolution = resolution_in(board, personas, PUBLISHED, title=XSS)
    for url in (
        f"/councils/{board.council.pk}/",
        f"/councils/proposals/{proposal.pk}/",
        f"/councils/{board.council.pk}/proposals/",
        f"/councils/resolutions/{resolution.pk}/",
        f"/councils/{board.council.pk}/resolutions/",
    ):
        html = page(client_for(personas.here), url)
        assert XSS not in html and ESCAPED in html, url


# ── Resolutions ──────────────────────────────────────────────────────────────────────────


def test_members_sign_and_staff_publish(board: Board, personas: Personas, client_for: Any) -> None:
    resolution = resolution_in(board, personas, DRAFT)
    url = f"/councils/resolutions/{resolution.pk}/"
    assert client_for(None).get(url).status_code == 404  # a draft is not public yet
    assert client_for(personas.resident).get(url).status_code == 404
    html = page(client_for(board.members[1].user), url)
    assert "1 of 3 needed" in html and "委员1" in html
    staff = client_for(personas.here)
    refused = staff.post(f"{url}publish/")
    assert (
        refused.status_code == 409
        and "3 members must sign before publication" in refused.content.decode()
    )
    assert client_for(personas.resident).post(f"{url}sign/").status_code == 404
    for member in board.members[1:3]:
        assert client_for(member.user).post(f"{url}sign/").status_code == 302
    twice = client_for(board.members[1].user).post(f"{url}sign/")
    assert twice.status_code == 409
    assert staff.post(f"{url}publish/").status_code == 302
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.PUBLISHED and resolution.signature_count == 3
    public = page(client_for(None), url)
    assert timezone.localtime(resolution.objection_ends_at).strftime("%Y-%m-%d") in public
    assert timezone.localtime(resolution.publication_ends_at).strftime("%Y-%m-%d") in public


def test_affected_residents_object_and_only_staff_see_who(
    board: Board, personas: Personas, client_for: Any
) -> None:
    resolution = resolution_in(board, personas, PUBLISHED)
    url = f"/councils/resolutions/{resolution.pk}/"
    resident = client_for(personas.resident)
    assert "Send my objection" in page(resident, url)
    assert "Send my objection" not in page(client_for(personas.stranger), url)
    before = AuditEvent.objects.count()
    refused = client_for(personas.stranger).post(f"{url}object/", {"reason": "不同意"})
    assert refused.status_code == 403 and "may object" in refused.content.decode()
    assert AuditEvent.objects.count() == before and not Objection.objects.exists()
    assert resident.post(f"{url}object/", {"reason": "占用消防通道"}).status_code == 302
    twice = resident.post(f"{url}object/", {"reason": "再次"})
    assert twice.status_code == 409 and Objection.objects.count() == 1
    for viewer in (None, personas.stranger, personas.sibling, personas.resident):
        html = page(client_for(viewer), url)
        assert "1 (of 5 that send it back)" in html
        assert "王秀兰" not in html and "占用消防通道" not in html
    staff = page(client_for(personas.here), url)
    assert "王秀兰" in staff and "占用消防通道" in staff


def test_tasks_progress_dispatch_and_evaluation(
    board: Board,
    city: City,
    personas: Personas,
    catalogue: Catalogue,  # noqa: F811
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    resolution = resolution_in(board, personas, IN_EFFECT)
    assert resolution.status == ResolutionStatus.IN_EFFECT
    url = f"/councils/resolutions/{resolution.pk}/"
    staff = client_for(personas.here)
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    past = staff.post(
        f"{url}task-add/",
        {"title": "采购", "due": "2000-01-01", "owner": board.chair.user.username},
    )
    assert (
        past.status_code == 400 and "The deadline must be in the future." in past.content.decode()
    )
    for title in ("采购晾衣架", "安装晾衣架", "清理空地"):
        response = staff.post(
            f"{url}task-add/", {"title": title, "due": due, "owner": board.chair.user.username}
        )
        assert response.status_code == 302
    buy, fit, clear = resolution.tasks.order_by("pk")
    # The owner completes one; a stranger may not.
    assert (
        client_for(personas.stranger).post(f"/councils/tasks/{buy.pk}/complete/").status_code == 404
    )
    owner = client_for(board.chair.user)
    assert owner.post(f"/councils/tasks/{buy.pk}/complete/", {"note": "已买"}).status_code == 302
    # The staff dispatch another as a demand.
    assert (
        client_for(board.chair.user)
        .post(f"/councils/tasks/{fit.pk}/dispatch/", {"category": catalogue.streetlight.pk})
        .status_code
        == 404
    )
    response = staff.post(
        f"/councils/tasks/{fit.pk}/dispatch/",
        {"category": catalogue.streetlight.pk, "organization": city.unit.pk},
    )
    assert response.status_code == 302
    fit.refresh_from_db()
    assert fit.status == TaskStatus.DISPATCHED and fit.demand is not None
    assert (fit.demand.channel, fit.demand.assignee) == ("council", city.unit)

    with django_assert_max_num_queries(4):
        public = page(client_for(None), url)
    assert "1 of 3 tasks done" in public and "委员1" not in public.split("Follow-up tasks")[1]
    assert "1 of 3 tasks done" in page(client_for(None), f"/councils/{board.council.pk}/")

    # The proposer evaluates once; the counts are public.
    resident = client_for(personas.resident)
    assert "Send my evaluation" in page(resident, url)
    assert "Send my evaluation" not in page(client_for(personas.stranger), url)
    assert (
        resident.post(f"{url}evaluate/", {"rating": "satisfied", "comment": "很好"}).status_code
        == 302
    )
    assert resident.post(f"{url}evaluate/", {"rating": "satisfied"}).status_code == 409
    refused = client_for(personas.stranger).post(f"{url}evaluate/", {"rating": "satisfied"})
    assert refused.status_code == 403
    html = page(client_for(None), url)
    ratings = html.split('id="resolution-ratings"')[1].split("</dl>")[0]
    assert "<dd>1</dd>" in ratings and "很好" not in html
    assert "很好" in page(staff, url)
    assert clear.status == TaskStatus.OPEN
    # The staff's page, with every form, costs the same however many tasks.
    with CaptureQueriesContext(connection) as before:
        page(staff, url)
    for title in ("再加一", "再加二", "再加三"):
        actions.add_task(resolution, by=personas.here, title=title, owner=personas.here,
                         due_at=timezone.now() + timedelta(days=9))  # fmt: skip
    with CaptureQueriesContext(connection) as after:
        html = page(staff, url)
    assert len(after) == len(before) <= 16  # the site's header may count a notification
    assert html.count("Dispatch as a demand") == 4


def test_personal_data_never_on_public_pages(
    board: Board, personas: Personas, client_for: Any
) -> None:
    resolution = resolution_in(board, personas, PUBLISHED)
    actions.object_to_resolution(resolution, by=personas.resident, reason="反对理由")
    proposal = resolution.proposal
    assert proposal is not None
    extra = make_user("another", display_name="赵大爷")
    actions.raise_proposal(board.council, by=extra, title="赵的议题", body="正文")
    urls = [
        f"/councils/{board.council.pk}/",
        f"/councils/{board.council.pk}/proposals/",
        f"/councils/proposals/{proposal.pk}/",
        f"/councils/{board.council.pk}/resolutions/",
        f"/councils/resolutions/{resolution.pk}/",
    ]
    for viewer in (None, personas.stranger, personas.sibling):
        for url in urls:
            html = page(client_for(viewer), url)
            assert "王秀兰" not in html and "赵大爷" not in html, (viewer, url)
            assert "13800138000" not in html and "反对理由" not in html


def test_resolution_list_shows_the_public_ones_with_a_fixed_number_of_queries(
    board: Board, personas: Personas, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    resolution_in(board, personas, PUBLISHED, title="公示中的决议")
    resolution_in(board, personas, DRAFT, title="待签的决议")
    url = f"/councils/{board.council.pk}/resolutions/"
    with django_assert_max_num_queries(3):
        html = page(client_for(None), url)
    assert "公示中的决议" in html and "published for objections" in html
    assert "待签的决议" not in html
    assert "待签的决议" in page(client_for(board.members[3].user), url)  # members see drafts


def test_the_council_page_says_when_the_next_meeting_is_due_and_flags_a_late_one(
    city: City, personas: Personas
) -> None:
    long_ago = timezone.now() - timedelta(days=200)
    council = actions.create_council(
        by=personas.here, place=city.community, name="院落议事会", meets_every_days=182,
        now=long_ago,
    )  # fmt: skip
    page = Client().get(f"/councils/{council.pk}/").content.decode()
    due = timezone.localtime(long_ago + timedelta(days=182)).strftime("%Y-%m-%d")
    assert f'<dd id="meeting-due">{due} <strong class="badge overdue">' in page

    member = actions.add_member(council, by=personas.here, user=personas.stranger, role="chair")
    held = timezone.now() - timedelta(days=10)
    meeting = actions.schedule_meeting(
        council, by=personas.here, title="例会", location="院内", starts_at=held,
        now=held - timedelta(days=5),
    )  # fmt: skip
    actions.add_motion(meeting, by=personas.here, title="院内停车", now=held - timedelta(days=5))
    actions.announce_meeting(meeting, by=personas.here, now=held - timedelta(days=5))
    actions.open_meeting(meeting, by=personas.here, now=held)
    actions.record_attendance(meeting, by=personas.here, members=[member], now=held)
    actions.close_meeting(meeting, by=personas.here, minutes="讨论了停车。", now=held)
    page = Client().get(f"/councils/{council.pk}/").content.decode()
    due = timezone.localtime(held + timedelta(days=182)).strftime("%Y-%m-%d")
    assert f'<dd id="meeting-due">{due}</dd>' in page
    assert "overdue: no meeting is announced" not in page
