"""Meeting pages: scheduling and the agenda, the notice-period refusal, the public meeting
page (agenda, minutes, hidden results), and the secretary's meeting screen from opening to
the minutes — with refusals that store nothing and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils.models import (
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    ProposalStatus,
    Speech,
    Vote,
    VoteStatus,
)
from courtyard.councils.tests.meeting_world import db_state, running_meeting, soon_meeting

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English (the sentences are asserted word for word)."""

    def make(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def test_staff_schedule_a_meeting_and_fill_its_agenda(board, personas, client_for) -> None:
    council = board.council
    screened = actions.raise_proposal(
        council, by=personas.resident, title="院内加装晾衣架", body="楼前空地"
    )
    actions.screen_proposal(screened, by=personas.here)
    raised = actions.raise_proposal(council, by=personas.resident, title="未筛选议题", body="x")
    client = client_for(personas.here)

    response = client.post(
        reverse("councils:meeting-create", args=[council.pk]),
        {"title": "第一次议事会", "location": "草厂四条44号院", "starts_at": "2099-05-01T19:00"},
    )
    meeting = Meeting.objects.get(title="第一次议事会")
    assert (
        response.status_code == 302 and response["Location"] == f"/councils/meetings/{meeting.pk}/"
    )
    assert meeting.status == MeetingStatus.DRAFT and meeting.location == "草厂四条44号院"

    page = client.get(response["Location"]).content.decode()
    assert f'<option value="{screened.pk}">' in page  # only screened proposals are offered
    assert f'<option value="{raised.pk}">' not in page

    url = reverse("councils:meeting-add-motion", args=[meeting.pk])
    assert client.post(url, {"proposal": screened.pk, "title": "", "text": ""}).status_code == 302
    assert client.post(url, {"title": "更换楼道灯", "text": "三个单元"}).status_code == 302
    assert list(meeting.motions.values_list("position", "title", "proposal_id")) == [
        (1, "院内加装晾衣架", screened.pk),
        (2, "更换楼道灯", None),
    ]

    before = db_state()
    response = client.post(url, {"proposal": raised.pk, "title": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"title": "", "text": ""})
    assert response.status_code == 400
    assert "Give the motion a title, or choose a proposal." in response.content.decode()
    assert db_state() == before


def test_a_past_start_is_refused_on_the_form(board, personas, client_for) -> None:
    before = db_state()
    response = client_for(personas.here).post(
        reverse("councils:meeting-create", args=[board.council.pk]),
        {"title": "会议", "location": "活动室", "starts_at": "2000-01-01T19:00"},
    )
    assert response.status_code == 400
    assert "A meeting is scheduled in the future." in response.content.decode()
    assert db_state() == before


def test_announcing_inside_the_notice_period_is_refused_clearly(
    board, personas, client_for
) -> None:
    meeting = actions.schedule_meeting(
        board.council, by=personas.here, title="临时会议", location="活动室",
        starts_at=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    actions.add_motion(meeting, by=personas.here, title="动议")
    before = db_state()

    response = client_for(personas.here).post(
        reverse("councils:meeting-announce", args=[meeting.pk])
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="refused"' in page and "The charter asks for 3 days&#x27; notice" in page
    assert db_state() == before
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT and meeting.notice_published_at is None


def test_the_announced_meeting_is_public_with_its_agenda(board, personas, client_for) -> None:
    draft = actions.schedule_meeting(
        board.council, by=personas.here, title="草案", location="活动室",
        starts_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip
    assert client_for(None).get(f"/councils/meetings/{draft.pk}/").status_code == 404
    actions.add_motion(draft, by=personas.here, title=XSS, text=XSS)
    actions.announce_meeting(draft, by=personas.here)

    response = client_for(None).get(f"/councils/meetings/{draft.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "活动室" in page and "Publish the notice" not in page and 'id="run-link"' not in page


def test_results_stay_hidden_until_the_close_then_the_minutes(board, personas, client_for) -> None:
    here = personas.here
    meeting = running_meeting(board, here, "表决会议")
    motion = meeting.motions.get()
    vote = actions.open_vote(actions.create_vote(board.council, by=here, motion=motion), by=here)
    voters = {v.key: v for v in vote.voters.all()}
    hands = {voters[f"member:{m.pk}"]: "yes" for m in board.members[:3]}
    actions.record_hands(vote, by=here, choices=hands)
    anonymous = client_for(None)

    page = anonymous.get(f"/councils/meetings/{meeting.pk}/").content.decode()
    assert "3 ballots so far" in page and "results are shown when the vote closes" in page
    assert "yes 3" not in page
    page = anonymous.get(f"/councils/votes/{vote.pk}/").content.decode()
    assert 'id="hidden-results"' in page and 'id="tally"' not in page

    actions.close_vote(vote, by=here)
    actions.close_meeting(meeting, by=here, minutes="通过。\n散会。")
    page = anonymous.get(f"/councils/meetings/{meeting.pk}/").content.decode()
    assert "passed" in page and "yes 3, no 0, abstain 0" in page
    assert '<div id="minutes"><p>通过。<br>散会。</p></div>' in page


def test_the_meeting_screen_from_opening_to_the_minutes(board, personas, client_for) -> None:
    secretary = board.secretary.user
    meeting = soon_meeting(board, personas.here, "议事会", motions=2)
    first, second = meeting.motions.order_by("position")
    client = client_for(secretary)
    run = reverse("councils:meeting-run", args=[meeting.pk])

    assert "Open the meeting" in client.get(run).content.decode()
    assert client.post(reverse("councils:meeting-open", args=[meeting.pk]))["Location"] == run
    present = [m.pk for m in board.members[:4]]
    client.post(reverse("councils:meeting-attendance", args=[meeting.pk]), {"members": present})
    assert set(meeting.attendance.values_list("member_id", flat=True)) == set(present)
    client.post(reverse("councils:motion-debate", args=[first.pk]))
    speaker = board.members[2]
    floor = reverse("councils:motion-floor", args=[first.pk])
    assert client.post(floor, {"member": speaker.pk, "stance": "for"}).status_code == 302

    page = client.get(run).content.decode()
    assert "4 of 5 members present" in page
    assert "委员3 (1 of 2 speeches)" in page
    assert 'data-speech-timer data-elapsed="0" data-limit="120"' in page
    assert "委员3 has the floor since" in page and "Limit: 2 minutes." in page
    assert "js/speech-timer.js" in page

    client.post(floor, {"member": speaker.pk, "stance": "against"})
    before = db_state()
    response = client.post(floor, {"member": speaker.pk, "stance": "for"})
    assert response.status_code == 409
    assert "委员3 has already spoken 2 times on this motion (the charter allows 2)." in (
        response.content.decode()
    )
    assert db_state() == before
    absent = board.members[4]
    response = client.post(floor, {"member": absent.pk, "stance": "for"})
    assert response.status_code == 409  # only members recorded as present speak
    assert f"{absent.display_name} is not recorded as present." in response.content.decode()
    assert db_state() == before
    client.post(reverse("councils:motion-end-speech", args=[first.pk]))
    assert not Speech.objects.filter(motion=first, ended_at__isnull=True).exists()
    assert Speech.objects.filter(motion=first).count() == 2

    client.post(reverse("councils:motion-defer", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == MotionStatus.DEFERRED

    assert client.post(reverse("councils:motion-vote", args=[first.pk])).status_code == 302
    vote = Vote.objects.get(motion=first)
    client.post(reverse("councils:vote-open", args=[vote.pk]))
    vote.refresh_from_db()
    assert vote.status == VoteStatus.OPEN and vote.voter_count == 5
    page = client.get(run).content.decode()
    voters = {v.key: v for v in vote.voters.all()}
    assert page.count('data-hand="voter_') == 4  # one row per present member
    assert f'data-hand="voter_{voters[f"member:{absent.pk}"].pk}"' not in page
    hands = {
        f"voter_{voters[f'member:{m.pk}'].pk}": choice
        for m, choice in zip(board.members[:4], ["yes", "yes", "no", "absent"], strict=True)
    }
    client.post(reverse("councils:vote-hands", args=[vote.pk]), hands)
    assert sorted(vote.ballots.values_list("choice", flat=True)) == ["no", "yes", "yes"]
    assert client.get(run).content.decode().count('data-hand="voter_') == 1

    before = db_state()
    response = client.post(
        reverse("councils:meeting-close", args=[meeting.pk]), {"minutes": "纪要"}
    )
    assert response.status_code == 409
    assert "A vote of this meeting is still open: close it first." in response.content.decode()
    assert "纪要" in response.content.decode()  # the minutes typed are kept on the form
    assert db_state() == before

    client.post(reverse("councils:vote-close", args=[vote.pk]))
    page = client.get(run).content.decode()
    assert "passed" in page and "Passed: every condition is met." in page
    response = client.post(
        reverse("councils:meeting-close", args=[meeting.pk]), {"minutes": "纪要"}
    )
    assert response["Location"] == f"/councils/meetings/{meeting.pk}/"
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes) == (MeetingStatus.CLOSED, "纪要")
    assert AuditEvent.objects.filter(actor=secretary, verb="meeting_closed").count() == 1


def test_opening_too_early_is_refused_on_the_screen(board, personas, client_for) -> None:
    meeting = actions.schedule_meeting(
        board.council, by=personas.here, title="下周会议", location="活动室",
        starts_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip
    actions.add_motion(meeting, by=personas.here, title="动议")
    actions.announce_meeting(meeting, by=personas.here)
    before = db_state()
    response = client_for(board.secretary.user).post(f"/councils/meetings/{meeting.pk}/open/")
    assert response.status_code == 409
    assert (
        "This meeting starts later: open it when people have arrived." in response.content.decode()
    )
    assert db_state() == before


def _speeches_and_votes(board: Any, meeting: Meeting, by: Any) -> None:
    """More of everything the screen lists: motions in debate with speeches, open votes."""
    for i in range(3):
        motion = Motion.objects.create(meeting=meeting, position=10 + i, title=f"追加{i}")
        actions.start_debate(motion, by=by)
        for member in board.members[:3]:
            actions.give_floor(motion, by=by, member=member, stance="for")
        vote = actions.open_vote(actions.create_vote(board.council, by=by, motion=motion), by=by)
        voter = vote.voters.get(key=f"member:{board.members[0].pk}")
        actions.record_hands(vote, by=by, choices={voter: "yes"})


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_meeting_screen_and_page_take_a_fixed_number_of_queries(
    board, personas, client_for
) -> None:
    here = personas.here
    meeting = running_meeting(board, here, "查询数", motions=1)
    motion = meeting.motions.get()
    actions.start_debate(motion, by=here)
    actions.give_floor(motion, by=here, member=board.members[1], stance="for")
    actions.open_vote(actions.create_vote(board.council, by=here, motion=motion), by=here)
    client = client_for(board.secretary.user)
    run, page = f"/councils/meetings/{meeting.pk}/run/", f"/councils/meetings/{meeting.pk}/"
    small = (_queries(client, run), _queries(client, page))

    _speeches_and_votes(board, meeting, here)
    assert (_queries(client, run), _queries(client, page)) == small
    assert small[0] <= 15 and small[1] <= 11  # each with the unread-notifications badge


def test_a_proposal_motion_keeps_its_proposal_status(board, personas, client_for) -> None:
    """Putting a screened proposal on the agenda leaves it on the agenda (the vote decides)."""
    proposal = actions.raise_proposal(board.council, by=personas.resident, title="议题", body="x")
    actions.screen_proposal(proposal, by=personas.here)
    meeting = actions.schedule_meeting(
        board.council, by=personas.here, title="会", location="室",
        starts_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip
    client_for(personas.here).post(
        f"/councils/meetings/{meeting.pk}/motions/", {"proposal": proposal.pk}
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ON_AGENDA and meeting.motions.count() == 1
