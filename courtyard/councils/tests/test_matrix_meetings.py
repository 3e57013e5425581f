"""The permission matrix of the meeting side: every route of urls_meetings × every persona.

Personas: `here` (community worker at 草厂社区, where the council sits), `above` (street
officer), `sibling` (worker of the sibling community), `secretary` (the council's
secretary: runs meetings, but owners' personal data is not for them), `member` (a resident
representative on the council), `resident` (lives in 草厂, owns part 1-101 on the roll),
`stranger` and `anonymous`. What someone may not open answers like a missing page (404);
a request that may not write leaves no trace (every table, row for row).
`test_every_meeting_route_is_in_the_matrix` fails when urls_meetings gains a route no case
covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve

from courtyard.core.models import AuditEvent
from courtyard.councils import urls_meetings
from courtyard.councils.models import (
    Ballot,
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    OwnersRoll,
    Speech,
    Vote,
    VoteStatus,
)
from courtyard.councils.tests.meeting_world import PERSONAS, ROLL_CSV, World, build_world, db_state
from courtyard.demands.tests.matrix import LOGIN, REDIRECT, Expect, assert_status
from courtyard.people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(board: Any, personas: Any) -> World:
    return build_world(board, personas)


def statuses(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    assert not set(overrides) - set(PERSONAS)
    return {p: overrides.get(p, default) for p in PERSONAS}


@dataclass(frozen=True)
class Case:
    route: str
    label: str
    method: str
    url: Callable[[World], str]
    expect: dict[str, Expect]
    writers: tuple[str, ...] = ()
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World], dict[str, Any]] | None = None

    @property
    def ident(self) -> str:
        return f"{self.label}-{self.method}"


def audited(verb: str, user: User | None) -> bool:
    return AuditEvent.objects.filter(verb=verb, actor=user).exists()


def _status_of(attr: str, model: Any, status: str, verb: str) -> Callable[[World, Any], bool]:
    def check(w: World, user: Any) -> bool:
        obj = getattr(w, attr)
        return model.objects.get(pk=obj.pk).status == status and audited(verb, user)

    return check


PUBLIC = statuses(200)
STAFF_PAGE = statuses(404, here=200, above=200, anonymous=LOGIN)
STAFF_WRITE = statuses(404, here=REDIRECT, above=REDIRECT, anonymous=LOGIN)
STAFF = ("here", "above")
RUN_PAGE = statuses(404, here=200, above=200, secretary=200, anonymous=LOGIN)
RUN_WRITE = statuses(404, here=REDIRECT, above=REDIRECT, secretary=REDIRECT, anonymous=LOGIN)
RUNNERS = ("here", "above", "secretary")
POST_ONLY = statuses(405, anonymous=LOGIN)


def m(attr: str, step: str = "") -> Callable[[World], str]:
    return lambda w: f"/councils/meetings/{getattr(w, attr).pk}/{step + '/' if step else ''}"


def mo(step: str) -> Callable[[World], str]:
    return lambda w: f"/councils/motions/{w.debating.pk}/{step}/"


def v(attr: str, step: str = "") -> Callable[[World], str]:
    return lambda w: f"/councils/votes/{getattr(w, attr).pk}/{step + '/' if step else ''}"


def _scheduled(w: World, user: Any) -> bool:
    return Meeting.objects.filter(title="新会议").exists() and audited("meeting_scheduled", user)


def _motion_added(w: World, user: Any) -> bool:
    return w.draft.motions.filter(title="加装电梯").exists() and audited("motion_added", user)


def _floor(w: World, user: Any) -> bool:
    last = Speech.objects.filter(motion=w.debating).order_by("-order").first()
    return (
        last is not None
        and last.member_id == w.board.members[3].pk
        and audited("floor_given", user)
    )


def _speech_ended(w: World, user: Any) -> bool:
    return not Speech.objects.filter(motion=w.debating, ended_at__isnull=True).exists()


def _vote_created(w: World, user: Any) -> bool:
    return Vote.objects.filter(motion=w.debating).exists() and audited("vote_created", user)


def _hands(w: World, user: Any) -> bool:
    return Ballot.objects.filter(vote=w.open_vote, method="hands").count() == 1 and audited(
        "ballot_cast", user
    )


def _paper(w: World, user: Any) -> bool:
    return Ballot.objects.filter(vote=w.owners_vote, paper_ref="P-001").exists()


def _cast(w: World, user: Any) -> bool:
    return Ballot.objects.filter(vote=w.owners_vote, method="online", choice="yes").exists()


def _roll(w: World, user: Any) -> bool:
    return OwnersRoll.objects.filter(name="新名册").exists() and audited("roll_imported", user)


def _owners_vote(w: World, user: Any) -> bool:
    return Vote.objects.filter(title="使用维修资金").exists() and audited("vote_created", user)


def _hands_data(w: World) -> dict[str, Any]:
    voter = w.open_vote.voters.get(key=f"member:{w.board.members[0].pk}")
    return {f"voter_{voter.pk}": "yes"}


def _paper_data(w: World) -> dict[str, Any]:
    voter = w.owners_vote.voters.get(key="O2")
    return {"voter": voter.pk, "choice": "no", "paper_ref": "P-001"}


def _roll_data(w: World) -> dict[str, Any]:
    return {"name": "新名册", "file": SimpleUploadedFile("roll.csv", ROLL_CSV, "text/csv")}


CASES: list[Case] = [
    Case("councils:meeting-create", "create", "GET",
         lambda w: f"/councils/{w.board.council.pk}/meetings/new/", STAFF_PAGE),
    Case("councils:meeting-create", "create", "POST",
         lambda w: f"/councils/{w.board.council.pk}/meetings/new/", STAFF_WRITE,
         STAFF, _scheduled,
         lambda w: {"title": "新会议", "location": "活动室", "starts_at": "2099-05-01T19:00"}),
    Case("councils:meeting-detail", "announced", "GET", m("announced"), PUBLIC),
    Case("councils:meeting-detail", "draft", "GET", m("draft"),
         statuses(404, here=200, above=200)),
    Case("councils:meeting-add-motion", "add-motion", "POST", m("draft", "motions"),
         STAFF_WRITE, STAFF, _motion_added, lambda w: {"title": "加装电梯", "text": ""}),
    Case("councils:meeting-add-motion", "add-motion", "GET", m("draft", "motions"), POST_ONLY),
    Case("councils:meeting-announce", "announce", "POST", m("draft", "announce"), STAFF_WRITE,
         STAFF, _status_of("draft", Meeting, MeetingStatus.ANNOUNCED, "meeting_announced")),
    Case("councils:meeting-cancel", "cancel", "POST", m("announced", "cancel"),
         statuses(404, here=REDIRECT, above=REDIRECT, anonymous=LOGIN), STAFF,
         _status_of("announced", Meeting, MeetingStatus.CANCELLED, "meeting_cancelled")),
    Case("councils:meeting-run", "run", "GET", m("running", "run"), RUN_PAGE),
    Case("councils:meeting-run", "run-draft", "GET", m("draft", "run"),
         statuses(404, here=200, above=200, anonymous=LOGIN)),
    Case("councils:meeting-open", "open", "POST", m("announced", "open"), RUN_WRITE, RUNNERS,
         _status_of("announced", Meeting, MeetingStatus.IN_PROGRESS, "meeting_opened")),
    Case("councils:meeting-attendance", "attendance", "POST", m("running", "attendance"),
         RUN_WRITE, RUNNERS,
         lambda w, u: w.running.attendance.count() == 5 and audited("attendance_recorded", u),
         lambda w: {"members": [x.pk for x in w.board.members]}),
    Case("councils:meeting-close", "close", "POST", m("quiet", "close"), RUN_WRITE, RUNNERS,
         _status_of("quiet", Meeting, MeetingStatus.CLOSED, "meeting_closed"),
         lambda w: {"minutes": "会议纪要"}),
    Case("councils:motion-debate", "debate", "POST",
         lambda w: f"/councils/motions/{w.quiet.motions.get().pk}/debate/", RUN_WRITE, RUNNERS,
         lambda w, u: w.quiet.motions.get().status == MotionStatus.DEBATING
         and audited("debate_started", u)),
    Case("councils:motion-debate", "debate-draft", "POST",
         lambda w: f"/councils/motions/{w.draft.motions.get().pk}/debate/",
         statuses(404, anonymous=LOGIN, here=409, above=409)),
    Case("councils:motion-floor", "floor", "POST", mo("floor"), RUN_WRITE, RUNNERS, _floor,
         lambda w: {"member": w.board.members[3].pk, "stance": "against"}),
    Case("councils:motion-end-speech", "end-speech", "POST", mo("end-speech"), RUN_WRITE,
         RUNNERS, _speech_ended),
    Case("councils:motion-defer", "defer", "POST", mo("defer"), RUN_WRITE, RUNNERS,
         _status_of("debating", Motion, MotionStatus.DEFERRED, "motion_deferred")),
    Case("councils:motion-vote", "motion-vote", "POST", mo("vote"), RUN_WRITE, RUNNERS,
         _vote_created),
    Case("councils:vote-detail", "open-vote", "GET", v("open_vote"), PUBLIC),
    Case("councils:vote-detail", "owners-vote", "GET", v("owners_vote"), PUBLIC),
    Case("councils:vote-detail", "draft-vote", "GET", v("draft_vote"),
         statuses(404, here=200, above=200, secretary=200)),
    Case("councils:vote-open", "vote-open", "POST", v("draft_vote", "open"), RUN_WRITE, RUNNERS,
         _status_of("draft_vote", Vote, VoteStatus.OPEN, "vote_opened")),
    Case("councils:vote-hands", "hands", "POST", v("open_vote", "hands"), RUN_WRITE, RUNNERS,
         _hands, _hands_data),
    Case("councils:vote-close", "vote-close", "POST", v("open_vote", "close"), RUN_WRITE,
         RUNNERS, _status_of("open_vote", Vote, VoteStatus.CLOSED, "vote_closed")),
    Case("councils:vote-cancel", "vote-cancel", "POST", v("open_vote", "cancel"), RUN_WRITE,
         RUNNERS, _status_of("open_vote", Vote, VoteStatus.CANCELLED, "vote_cancelled")),
    Case("councils:vote-cancel", "owners-vote-cancel", "POST", v("owners_vote", "cancel"),
         STAFF_WRITE, STAFF,
         _status_of("owners_vote", Vote, VoteStatus.CANCELLED, "vote_cancelled")),
    Case("councils:ballot-cast", "ballot", "GET", v("owners_vote", "ballot"),
         statuses(200, anonymous=LOGIN)),
    Case("councils:ballot-cast", "ballot", "POST", v("owners_vote", "ballot"),
         statuses(403, resident=REDIRECT, anonymous=LOGIN), ("resident",), _cast,
         lambda w: {"choice": "yes"}),
    Case("councils:ballot-paper", "paper-members", "GET", v("open_vote", "paper"), RUN_PAGE),
    Case("councils:ballot-paper", "paper-owners", "GET", v("owners_vote", "paper"), STAFF_PAGE),
    Case("councils:ballot-paper", "paper-owners", "POST", v("owners_vote", "paper"),
         STAFF_WRITE, STAFF, _paper, _paper_data),
    Case("councils:roll-upload", "rolls", "GET",
         lambda w: f"/councils/{w.board.council.pk}/rolls/new/", STAFF_PAGE),
    Case("councils:roll-upload", "rolls", "POST",
         lambda w: f"/councils/{w.board.council.pk}/rolls/new/", STAFF_WRITE, STAFF, _roll,
         _roll_data),
    Case("councils:roll-detail", "roll", "GET", lambda w: f"/councils/rolls/{w.roll.pk}/",
         STAFF_PAGE),
    Case("councils:roll-vote", "roll-vote", "GET",
         lambda w: f"/councils/rolls/{w.roll.pk}/vote/", STAFF_PAGE),
    Case("councils:roll-vote", "roll-vote", "POST",
         lambda w: f"/councils/rolls/{w.roll.pk}/vote/", STAFF_WRITE, STAFF, _owners_vote,
         lambda w: {"title": "使用维修资金", "matter": "5"}),
]  # fmt: skip


def _params() -> Iterator[Any]:
    for case in CASES:
        for persona in PERSONAS:
            yield pytest.param(case, persona, id=f"{case.ident}-{persona}")


@pytest.mark.parametrize(("case", "persona"), list(_params()))
def test_meeting_page(case: Case, persona: str, world: World, client_for: Any) -> None:
    user = world.user(persona)
    client: Client = client_for(user)
    url = case.url(world)
    data = case.data(world) if case.data else {}
    before = db_state()

    response = client.get(url) if case.method == "GET" else client.post(url, data)

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:
        assert [t.name for t in response.templates][:1] == ["404.html"]
    if persona in case.writers:
        assert case.written is not None
        assert case.written(world, user), "the allowed request did not do its work"
    else:
        assert db_state() == before, "a request that may not write left a trace"


def test_every_meeting_route_is_in_the_matrix(world: World) -> None:
    names = {f"councils:{p.name}" for p in urls_meetings.urlpatterns}
    assert {case.route for case in CASES} == names
    reached = {resolve(case.url(world)).view_name for case in CASES}
    assert reached == names
